"""The fast path: the hot operations served without connexion's per-request machinery.

Binary variable uploads and downloads (``POST`` / ``GET .../variables/{varName}/data`` of
tasks, process instances and executions) are most of the small requests clients make.
Through connexion each pays for routing (an ordered scan of every path), a parameter
decorator rebuilt per request, a second parse of the form, and the context machinery:
more than the work itself. Here they are routed and validated by code compiled from the
same spec at start (:mod:`.routes`, :mod:`.parameters`), and answered by the same
functions the connexion handlers call (:mod:`.operations`).

It is one stage of the pipeline (:mod:`.middleware`), right after the stages that come
before routing, so that observation, error rendering, authentication, the client
timeout, the U+0000, dot-segment and named-engine rules and the body limit apply as to
every request. What routing's followers do for these operations it does itself, by the
same functions: the operation's error prefix and the translation of conflicts and
storage failures (:func:`taskvars.web.operation_errors.said_for_operation`), unknown
query parameters (:func:`taskvars.web.unknown_parameters.known_query`), the form parsed
and validated by the multipart validator's own code.

A request it is not sure of (another method, a parameter the spec refuses, a content type
that is not plain ``multipart/form-data``, a reverse proxy's root path, a query
parameter refused by ``--strict-params``) goes on down the full pipeline untouched, which
answers it as always: errors of invalid parameters are connexion's own, by construction.
``--no-fast-path`` leaves the stage out. ``tests/api/test_fast_path.py`` sends the same
requests to an app with it and one without and compares every byte.
"""

from taskvars.web.fast_path.middleware import FastPathMiddleware, served_count

__all__ = ["FastPathMiddleware", "served_count"]
