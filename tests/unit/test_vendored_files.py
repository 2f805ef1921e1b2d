"""The task list page's third-party files (taskvars/tasklist/vendor/) are exactly those
scripts/refresh_tasklist_vendor.py records in VENDORED.json, unchanged since, each
package's licence beside them. No network: the script itself is not run here."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from taskvars.web.tasklist_page import PAGE_DIRECTORY

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
