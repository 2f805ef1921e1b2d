"""Refresh taskvars/tasklist/vendor/, the task list page's third-party files, from npm.

The page has no build step: it loads these files as they are. Each pinned package is
fetched with ``npm pack`` (the registry's tarball, checked against its integrity by npm),
the files the page loads are taken from it, with each package's licence, and
vendor/VENDORED.json records where each file came from and its sha256, which
tests/unit/test_vendored_files.py checks without the network. Files in vendor/ that the
list no longer names are removed.

npm checks a tarball against the integrity the registry states for it, which only says
that the registry is consistent with itself. A version once vendored must also come
back as the bytes recorded then: a published version cannot change on npm, so a
different integrity means the registry, or something between, serves other bytes. The
refresh then stops before writing anything.

To move to a new version, change it in PACKAGES and run, from the repository's root
(needs npm; standard library only)::

    python3 scripts/refresh_tasklist_vendor.py
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parents[1] / "taskvars" / "tasklist" / "vendor"
MANIFEST = "VENDORED.json"
LICENSES = "licenses"


@dataclass(frozen=True)
class Shipped:
    """A file of a package's tarball (``source``, under its ``package/``), shipped in
    vendor/ as ``target``, with each ``(old, new)`` of ``rewrites`` replaced once."""

    source: str
    target: str
    rewrites: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # An SPDX id; a LicenseRef- where the licence is not one of SPDX's.
    license: str
    files: tuple[Shipped, ...]
    license_file: str = "LICENSE"
    # What the licence asks of whoever ships the files, beyond keeping the notice.
    obligation: str = ""

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


PACKAGES = (
    Package(
        "preact",
        "11.2.0",
        "MIT",
        (
            Shipped("dist/preact.mjs", "preact.mjs"),
            # Without a build step, or an import map, a bare "preact" cannot be resolved
            # by the browser: the hooks import the file beside them instead.
            Shipped(
                "hooks/dist/hooks.mjs",
                "preact-hooks.mjs",
                rewrites=((b'from"preact"', b'from"./preact.mjs"'),),
            ),
        ),
    ),
    Package("htm", "3.1.1", "Apache-2.0", (Shipped("dist/htm.mjs", "htm.mjs"),)),
    Package(
        "bpmn-js",
        "18.31.1",
        # The MIT licence with one more condition (package.json: "SEE LICENSE IN LICENSE").
        "LicenseRef-bpmn.io",
        (
            Shipped("dist/bpmn-viewer.production.min.js", "bpmn-viewer.production.min.js"),
            Shipped("dist/assets/bpmn-js.css", "bpmn-js.css"),
            Shipped("dist/assets/diagram-js.css", "diagram-js.css"),
        ),
        obligation=(
            "The bpmn.io watermark the viewer draws on every diagram, linking to"
            " https://bpmn.io, must not be removed or changed, and must stay fully visible,"
            " not overlapped by other elements."
        ),
    ),
)


def main() -> None:
    recorded = recorded_integrities()
    with tempfile.TemporaryDirectory(prefix="tasklist-vendor-") as temporary:
        packed = [(package, *npm_pack(package.spec, Path(temporary))) for package in PACKAGES]
        for package, _, integrity in packed:
            check_integrity(package, integrity, recorded)
        entries = [vendor(package, tarball, integrity) for package, tarball, integrity in packed]
    manifest = {
        "about": (
            "The task list page's third-party files: written by"
            " scripts/refresh_tasklist_vendor.py, checked by tests/unit/test_vendored_files.py."
        ),
        "packages": entries,
    }
    (VENDOR / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    remove_unlisted(manifest)
    print(f"{VENDOR}: " + ", ".join(f"{p.name} {p.version}" for p in PACKAGES))


def recorded_integrities() -> dict[str, str]:
    """The integrity VENDORED.json records for each ``name@version``; none before the
    first refresh."""
    try:
        manifest = json.loads((VENDOR / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {
        f"{entry['package']}@{entry['version']}": entry["integrity"]
        for entry in manifest["packages"]
    }


def check_integrity(package: Package, integrity: str, recorded: dict[str, str]) -> None:
    """Stop unless a version vendored before comes back with the integrity recorded."""
    before = recorded.get(package.spec)
    if before is not None and before != integrity:
        raise SystemExit(
            f"{package.spec}: npm now gives integrity {integrity}, VENDORED.json recorded "
            f"{before}. A published version's bytes cannot change on npm: nothing written."
        )


def vendor(package: Package, tarball: Path, integrity: str) -> dict[str, Any]:
    """Write the package's files and licence, from its ``tarball``, into vendor/; its
    manifest entry."""
    license_target = f"{LICENSES}/{package.name}.txt"
    with tarfile.open(tarball) as archive:
        files = []
        for shipped in package.files:
            content = rewritten(member(archive, shipped.source), shipped.rewrites)
            files.append(write(shipped.target, content) | {"source": shipped.source})
        license_entry = write(license_target, member(archive, package.license_file))
    entry: dict[str, Any] = {
        "package": package.name,
        "version": package.version,
        "integrity": integrity,
        "license": package.license,
        "licenseFile": license_entry,
        "files": files,
    }
    if package.obligation:
        entry["obligation"] = package.obligation
    return entry


def npm_pack(spec: str, directory: Path) -> tuple[Path, str]:
    """The registry's tarball of ``spec``, and its integrity as npm reports it."""
    answer = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(directory), spec],
        capture_output=True,
        text=True,
        check=True,
    )
    (packed,) = json.loads(answer.stdout)
    return directory / packed["filename"], packed["integrity"]


def member(archive: tarfile.TarFile, path: str) -> bytes:
    """A file's bytes, read from the tarball (nothing it names is written to disk)."""
    extracted = archive.extractfile(f"package/{path}")
    if extracted is None:
        raise SystemExit(f"package/{path} is not a file in the tarball")
    return extracted.read()


def rewritten(content: bytes, rewrites: tuple[tuple[bytes, bytes], ...]) -> bytes:
    """Each rewrite must apply exactly once: a new version that imports differently
    stops the refresh rather than shipping a file the browser cannot load."""
    for old, new in rewrites:
        if content.count(old) != 1:
            raise SystemExit(f"expected {old.decode()!r} once, found it {content.count(old)} times")
        content = content.replace(old, new)
    return content


def write(target: str, content: bytes) -> dict[str, str]:
    path = VENDOR / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return {"file": target, "sha256": hashlib.sha256(content).hexdigest()}


def listed_files(manifest: dict[str, Any]) -> set[str]:
    """vendor/'s files the manifest names, itself included (relative, with ``/``)."""
    names = {MANIFEST}
    for entry in manifest["packages"]:
        names.add(entry["licenseFile"]["file"])
        names.update(file["file"] for file in entry["files"])
    return names


def remove_unlisted(manifest: dict[str, Any]) -> None:
    listed = listed_files(manifest)
    for path in VENDOR.rglob("*"):
        if path.is_file() and path.relative_to(VENDOR).as_posix() not in listed:
            path.unlink()


if __name__ == "__main__":
    main()
