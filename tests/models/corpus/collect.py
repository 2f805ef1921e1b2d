"""Rebuilds this corpus from local clones (bare or not) of Camunda's public example
repositories: every executable Camunda 7 BPMN file (a process with isExecutable="true",
no Camunda 8 / Zeebe namespace, not a test resource), one copy per distinct content, named after its
repository and path, with SOURCES.md listing repository, commit, path and licence.

    python tests/models/corpus/collect.py OWNER/NAME=GIT_DIR[:PATH_PREFIX] ...

Only repositories under the Apache License 2.0 are used (checked in their LICENSE).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
EXECUTABLE = re.compile(rb"<(?:\w+:)?process\b[^>]*\bisExecutable=\"true\"")
CAMUNDA_8 = re.compile(rb"zeebe|executionPlatform=\"Camunda Cloud\"")


def git(directory: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", directory, *args], check=True, capture_output=True).stdout


def main(arguments: list[str]) -> int:
    seen: set[str] = set()
    names: set[str] = set()
    rows: list[str] = []
    for argument in arguments:
        repo, _, where = argument.partition("=")
        directory, _, prefix = where.partition(":")
        commit = git(directory, "rev-parse", "HEAD").decode().strip()
        if b"Apache License" not in git(directory, "show", "HEAD:LICENSE"):
            print(f"skipped {repo}: not Apache-2.0", file=sys.stderr)
            continue
        paths = git(directory, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()
        for path in sorted(
            p
            for p in paths
            if p.endswith(".bpmn") and p.startswith(prefix) and "/src/test/" not in p
        ):
            data = git(directory, "show", f"HEAD:{path}")
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen or not EXECUTABLE.search(data) or CAMUNDA_8.search(data):
                continue
            seen.add(digest)
            name = f"{repo.split('/')[1]}--{path.replace('/src/main/resources', '')}"
            stem = re.sub(r"[^A-Za-z0-9.]+", "-", name.removesuffix(".bpmn"))
            name = stem[:120] + ".bpmn"
            if name in names:  # two long paths cut to the same name
                name = f"{stem[:111]}-{digest[:8]}.bpmn"
            names.add(name)
            (HERE / name).write_bytes(data)
            rows.append(f"| {name} | {repo} | {commit} | {path} | Apache-2.0 |")
    sources = HERE / "SOURCES.md"
    sources.write_text(
        "# Sources of the model corpus\n\n"
        "Executable Camunda 7 models from Camunda's public example repositories, copied\n"
        "unchanged (one copy per distinct content) by `collect.py`; each repository is\n"
        "under the Apache License 2.0 (its LICENSE file), which allows copying them with\n"
        "this notice of where they come from.\n\n"
        "| file | repository | commit | path | licence |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )
    print(f"{len(rows)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
