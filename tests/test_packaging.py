"""Under tox the suite must run against the installed wheel, so that a file missing from
it (the spec, a migration) fails here rather than for users."""

from __future__ import annotations

import os
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
