"""Credentials: bcrypt once per credential, then remembered."""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest

from taskvars import credentials as credentials_module
from taskvars.credentials import Credentials


@pytest.fixture
def credentials() -> Credentials:
    return Credentials({"ann": bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4))})


def test_a_verified_credential_is_remembered(credentials: Credentials) -> None:
    assert not credentials.remembered("ann", "pw")
    assert credentials.verify("ann", "pw")
    assert credentials.remembered("ann", "pw")


def test_a_remembered_credential_is_verified_without_bcrypt(
    credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert credentials.verify("ann", "pw")

    def no_bcrypt(*_args: Any) -> bool:
        raise AssertionError("bcrypt checked a remembered credential again")

    monkeypatch.setattr(credentials_module.bcrypt, "checkpw", no_bcrypt)
    assert credentials.verify("ann", "pw")


def test_a_wrong_password_or_unknown_user_is_refused_and_not_remembered(
    credentials: Credentials,
) -> None:
    assert not credentials.verify("ann", "nope")
    assert not credentials.remembered("ann", "nope")
    assert not credentials.verify("bob", "pw")
    assert not credentials.remembered("bob", "pw")
