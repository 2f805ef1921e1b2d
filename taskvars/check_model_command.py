"""``taskvars check-model FILE...``: what a deployment of each file would say, without a
server or a database: the processes of a file that deploys, every problem of one that is
refused, and the notes on it (:data:`taskvars.engine.model_notes.NOTE_SECTIONS`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from taskvars.engine import stand_ins
from taskvars.engine.model_check import inspect_model
from taskvars.engine.model_report import text_report

# Exit codes: every file deploys, a file is refused, a file cannot be read.
DEPLOYS, REFUSED, USAGE = 0, 1, 2


def check_model_files(
    paths: Sequence[Path], out: TextIO | None = None, stand_ins_file: Path | None = None
) -> int:
    """Prints a report per file (on ``out``, standard output by default), the code each
    calls covered by the stand-ins of ``stand_ins_file`` or not; the exit code."""
    out = out or sys.stdout
    if stand_ins_file is not None:
        try:
            stand_ins.install(stand_ins.load(stand_ins_file))
        except stand_ins.StandInsError as error:
            print(f"taskvars: {error}", file=sys.stderr)
            return USAGE
    missing = [path for path in paths if not path.is_file()]
    if missing:
        for path in missing:
            print(f"taskvars: {path}: no such file", file=sys.stderr)
        return USAGE
    refused = 0
    for index, path in enumerate(paths):
        report = inspect_model(str(path), path.read_bytes())
        refused += report.refused
        print(("\n" if index else "") + text_report(report), file=out)
    if len(paths) > 1:
        print(f"\n{len(paths)} files: {len(paths) - refused} deploy, {refused} refused", file=out)
    return REFUSED if refused else DEPLOYS
