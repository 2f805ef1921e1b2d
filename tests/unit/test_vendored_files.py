"""The task list page's third-party files (taskvars/tasklist/vendor/) are exactly those
scripts/refresh_tasklist_vendor.py records in VENDORED.json, unchanged since, each
package's licence beside them; and the script, run as the README says with npm answering
from local tarballs, writes them back unchanged. No network."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from taskvars.web.tasklist_page import PAGE_DIRECTORY
from tests import readme

VENDOR = PAGE_DIRECTORY / "vendor"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "refresh_tasklist_vendor.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_tasklist_vendor", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while they are made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((VENDOR / "VENDORED.json").read_text("utf-8"))
    return manifest


def sha256(name: str) -> str:
    return hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()


def test_every_vendored_file_is_the_one_recorded(manifest: dict[str, Any]) -> None:
    for entry in manifest["packages"]:
        for file in [*entry["files"], entry["licenseFile"]]:
            assert sha256(file["file"]) == file["sha256"], (entry["package"], file["file"])


def test_each_package_has_its_licence(manifest: dict[str, Any]) -> None:
    for entry in manifest["packages"]:
        assert entry["licenseFile"]["file"] == f"licenses/{entry['package']}.txt"
        assert (VENDOR / entry["licenseFile"]["file"]).read_text("utf-8").strip()
        assert entry["license"]


def test_vendor_holds_nothing_unrecorded(manifest: dict[str, Any], script: ModuleType) -> None:
    present = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()}
    assert present == script.listed_files(manifest)


def test_the_record_is_of_the_scripts_pinned_versions(
    manifest: dict[str, Any], script: ModuleType
) -> None:
    recorded = [(entry["package"], entry["version"]) for entry in manifest["packages"]]
    assert recorded == [(package.name, package.version) for package in script.PACKAGES]


def test_bpmn_js_ships_with_its_watermark_obligation(manifest: dict[str, Any]) -> None:
    (bpmn_js,) = [entry for entry in manifest["packages"] if entry["package"] == "bpmn-js"]
    assert "watermark" in bpmn_js["obligation"]
    licence = (VENDOR / bpmn_js["licenseFile"]["file"]).read_text("utf-8")
    assert "watermark must stay fully visible" in licence
    # The viewer still carries the code that draws it.
    assert b"https://bpmn.io" in (VENDOR / "bpmn-viewer.production.min.js").read_bytes()


def test_the_hooks_import_preact_beside_them() -> None:
    hooks = (VENDOR / "preact-hooks.mjs").read_text("utf-8")
    assert 'from"./preact.mjs"' in hooks
    assert 'from"preact"' not in hooks


def test_a_rewrite_that_no_longer_applies_stops_the_refresh(script: ModuleType) -> None:
    with pytest.raises(SystemExit, match="found it 0 times"):
        script.rewritten(b'import"preact/x"', ((b'from"preact"', b'from"./preact.mjs"'),))


FAKE_NPM = """#!{python}
# npm pack --json --pack-destination DIR NAME@VERSION, answered from $FAKE_REGISTRY.
import json, os, shutil, sys

*_, destination, spec = sys.argv
name, version = spec.rsplit("@", 1)
filename = f"{{name}}-{{version}}.tgz"
registry = os.environ["FAKE_REGISTRY"]
shutil.copy(os.path.join(registry, filename), destination)
with open(os.path.join(registry, filename + ".integrity")) as integrity:
    print(json.dumps([{{"filename": filename, "integrity": integrity.read()}}]))
"""


def fake_registry(directory: Path, manifest: dict[str, Any], script: ModuleType) -> None:
    """A tarball for each package as npm would pack it, made from the vendored files with
    the script's rewrites undone, and the integrity recorded for it."""
    directory.mkdir()
    shipped = {package.name: package for package in script.PACKAGES}
    for entry in manifest["packages"]:
        package = shipped[entry["package"]]
        tarball = directory / f"{package.name}-{package.version}.tgz"
        with tarfile.open(tarball, "w:gz") as archive:
            for file in package.files:
                content = (VENDOR / file.target).read_bytes()
                for old, new in file.rewrites:
                    content = content.replace(new, old)
                add(archive, f"package/{file.source}", content)
            licence = (VENDOR / entry["licenseFile"]["file"]).read_bytes()
            add(archive, f"package/{package.license_file}", licence)
        (directory / f"{tarball.name}.integrity").write_text(entry["integrity"])


def add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(content)
    archive.addfile(member, io.BytesIO(content))


def refresh_in_a_copy(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The script run as the README says, in the copy of the tree under ``tmp_path``,
    npm answering from ``tmp_path / "registry"``."""
    bin_directory = tmp_path / "bin"
    bin_directory.mkdir()
    npm = bin_directory / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable))
    npm.chmod(0o755)
    environment = {
        **os.environ,
        "PATH": f"{bin_directory}{os.pathsep}{os.environ['PATH']}",
        "FAKE_REGISTRY": str(tmp_path / "registry"),
    }
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme.snippet("tasklist-vendor-refresh")],
        cwd=tmp_path / "tree",
        env=environment,
        capture_output=True,
        text=True,
    )


def tree_copy(tmp_path: Path) -> Path:
    """A tree holding the script and an empty vendor/; its vendor/."""
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, tree / "scripts")
    copy = tree / "taskvars" / "tasklist" / "vendor"
    (copy / "licenses").mkdir(parents=True)
    return copy


def test_the_readmes_refresh_command_reproduces_the_vendored_files(
    tmp_path: Path, manifest: dict[str, Any], script: ModuleType
) -> None:
    """The script run as the README says, in a copy of the tree, npm answering from
    tarballs made here (no network): it writes back every file as it is, and removes a
    file nothing lists."""
    copy = tree_copy(tmp_path)
    shutil.copy(VENDOR / "VENDORED.json", copy)  # each version comes back as recorded
    (copy / "licenses" / "left-behind.txt").write_text("an old package's licence")
    fake_registry(tmp_path / "registry", manifest, script)

    refresh = refresh_in_a_copy(tmp_path)
    assert refresh.returncode == 0, refresh.stderr

    written = {path.relative_to(copy).as_posix() for path in copy.rglob("*") if path.is_file()}
    assert written == script.listed_files(manifest)
    for name in written:
        assert (copy / name).read_bytes() == (VENDOR / name).read_bytes(), name


def test_a_vendored_version_served_with_another_integrity_stops_the_refresh(
    tmp_path: Path, manifest: dict[str, Any], script: ModuleType
) -> None:
    """npm only checks a tarball against what the registry says of it; a version vendored
    before must come back as recorded, or nothing is written."""
    copy = tree_copy(tmp_path)
    shutil.copy(VENDOR / "VENDORED.json", copy)
    fake_registry(tmp_path / "registry", manifest, script)
    served = tmp_path / "registry" / "htm-3.1.1.tgz.integrity"
    served.write_text("sha512-" + "A" * 86 + "==")

    refresh = refresh_in_a_copy(tmp_path)

    assert refresh.returncode == 1
    assert "htm@3.1.1: npm now gives integrity sha512-AAAA" in refresh.stderr
    assert "nothing written" in refresh.stderr
    written = {path.relative_to(copy).as_posix() for path in copy.rglob("*") if path.is_file()}
    assert written == {"VENDORED.json"}
    assert (copy / "VENDORED.json").read_bytes() == (VENDOR / "VENDORED.json").read_bytes()
