"""Generate the Python client from a served spec with openapi-python-client, default settings.

    python clients/python/generate.py http://127.0.0.1:8080/engine-rest/openapi.json OUT

``generate`` runs ``openapi-python-client generate --url SPEC_URL --output-path OUTPUT``
(no config file) and fails when the generator exits non-zero or reports any warning.
It returns the folder to put on ``sys.path`` (``PYTHONPATH``): the generated package,
``taskvars_engine_rest_client``, lies directly in ``OUTPUT``. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "taskvars_engine_rest_client"  # from the spec's info.title, "taskvars engine-rest"


class GenerationError(RuntimeError):
    """openapi-python-client failed, warned, or did not write the expected package."""


def _tool_path() -> str:
    """PATH for the generator: it runs ``ruff`` over what it writes, and warns when ruff
    is missing. The folder of this interpreter (a venv's bin/) comes first, so that a
    venv's generator and ruff are found even when the venv is not activated."""
    here = str(Path(sys.executable).parent)
    return os.pathsep.join([here, os.environ.get("PATH", "")])


def generate(spec_url: str, output: Path) -> Path:
    """Generate the client for ``spec_url`` into ``output`` (which must not exist yet)
    and return the folder that contains the package ``taskvars_engine_rest_client``."""
    output = Path(output)
    path = _tool_path()
    executable = shutil.which("openapi-python-client", path=path)
    if executable is None:
        raise GenerationError("openapi-python-client is not installed (pip install .[clients])")
    if shutil.which("ruff", path=path) is None:
        raise GenerationError("ruff is not on PATH; openapi-python-client needs it")
    command = [executable, "generate", "--url", spec_url, "--output-path", str(output)]
    result = subprocess.run(
        command,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    text = f"$ {' '.join(command)}\n{result.stdout}{result.stderr}"
    if result.returncode != 0:
        raise GenerationError(f"openapi-python-client exited with {result.returncode}:\n{text}")
    # On success the generator prints only "Generating OUTPUT" to stdout. Its reports
    # ("Warning(s) encountered while generating ...": skipped endpoints or schemas, ruff
    # missing or failing) go to stderr and still exit 0, as would a Python warning: any
    # of them fails here. (The check leaves out the command line and stdout's echo of
    # OUTPUT, whose path may itself contain the word.)
    reported = result.stderr + result.stdout.replace(str(output), "")
    if result.stderr.strip() or "warning" in reported.lower():
        raise GenerationError(f"openapi-python-client reported a problem:\n{text}")
    if not (output / PACKAGE / "__init__.py").is_file():
        raise GenerationError(f"no package {PACKAGE} in {output}:\n{text}")
    return output


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} SPEC_URL OUTPUT")
    print(generate(sys.argv[1], Path(sys.argv[2])))
