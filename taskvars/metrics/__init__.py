"""What the server counts, and how ``GET /engine-rest/metrics`` shows it.

Through ``prometheus-client``, in its text format:

- :mod:`.instruments` — the counters, histogram and gauges the server updates;
- :mod:`.multiprocess` — with ``--workers N``, every process writes its values to files
  in one directory and a scrape adds them up (the client's multiprocess mode);
- :mod:`.pool` — database connections open and in use, from SQLAlchemy's pool events;
- :mod:`.commits` — how many writes each commit carried, from the group commit;
- :mod:`.exposition` — the text a scrape gets, with the stored binary values counted
  from the database at that moment.
"""
