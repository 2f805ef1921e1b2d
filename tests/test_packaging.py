"""Under tox the suite must run against the installed wheel, so that a file missing from
it (the spec, a migration) fails here rather than for users."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path

import pytest

import taskvars
from taskvars.persistence.migrate import MIGRATIONS
from taskvars.resources import SPEC_NAME, spec_directory

SOURCE_TREE = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    not os.environ.get("TASKVARS_EXPECT_INSTALLED"), reason="runs under tox, against the wheel"
)
def test_code_under_test_is_the_installed_package() -> None:
    package = Path(taskvars.__file__).resolve().parent
    assert package != SOURCE_TREE / "taskvars", f"imported from the source tree: {package}"
    assert "site-packages" in package.parts, package
    assert spec_directory() == package / "openapi"


def test_spec_and_migrations_are_found() -> None:
    assert (spec_directory() / SPEC_NAME).is_file()
    assert list((MIGRATIONS / "versions").glob("0001_*.py"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The names in the wheel and the sdist hatchling builds from the source tree."""
    if not (SOURCE_TREE / "pyproject.toml").exists():
        pytest.skip("needs the source tree (run from a clone)")
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    directory = str(tmp_path_factory.mktemp("dist"))
    (wheel,) = WheelBuilder(str(SOURCE_TREE)).build(directory=directory, versions=["standard"])
    (sdist,) = SdistBuilder(str(SOURCE_TREE)).build(directory=directory, versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        # Each name under the sdist's one top directory, taskvars-<version>/.
        sdist_names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    return {"wheel": wheel_names, "sdist": sdist_names}


def tasklist_files() -> list[str]:
    """Every file of the task list page in the source tree (what the browser may load)."""
    page = SOURCE_TREE / "taskvars" / "tasklist"
    return sorted(
        path.relative_to(SOURCE_TREE).as_posix() for path in page.rglob("*") if path.is_file()
    )


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_task_list_page_is_packaged_whole(built: dict[str, set[str]], kind: str) -> None:
    files = tasklist_files()
    assert "taskvars/tasklist/vendor/VENDORED.json" in files
    assert not set(files) - built[kind]


def test_the_sdist_can_refresh_the_vendored_files(built: dict[str, set[str]]) -> None:
    assert "scripts/refresh_tasklist_vendor.py" in built["sdist"]
