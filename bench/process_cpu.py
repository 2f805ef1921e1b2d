"""CPU time a server has spent, read from ``/proc`` (Linux): its process and every
process under it (the workers of ``--workers N``, uvicorn's reloader-free supervisor),
user and system time together. Read before and after a load run, the difference over
the requests it completed is the server's CPU per request: a cost that does not depend on
how loaded the machine is, where requests/s does."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces
    and parentheses: cut at the last ``)``), or ``None`` once the process is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        parent = waiting.pop()
        found += children.get(parent, [])
        waiting += children.get(parent, [])
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` and its descendants so far; ``None`` where
    ``/proc`` cannot tell (not Linux)."""
    if not (PROC / str(pid) / "stat").exists():
        return None
    ticks = 0
    for process in (pid, *_descendants(pid)):
        fields = _stat_fields(process)
        if fields is not None:  # fields 14 and 15 of stat: utime, stime
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS_PER_SECOND
