"""Credentials: bcrypt once per credential, then remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import pytest

from taskvars import credentials as credentials_module
from taskvars.credentials import AuthFileError, Credentials


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


HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()


def test_an_auth_file_line_may_name_the_users_groups(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(f"ann:{HASH}:sales, accounting\nbob:{HASH}:accounting\ncy:{HASH}\n")
    credentials = Credentials.from_file(users)
    assert credentials.groups_of("ann") == ("sales", "accounting")
    assert credentials.groups_of("cy") == ()
    assert credentials.groups_of("nobody") == ()
    assert credentials.members_of("accounting") == ["ann", "bob"]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("", "the group list '' has an empty group name"),
        ("sales,,hr", "the group list 'sales,,hr' has an empty group name"),
        ("sales team", "the group name 'sales team' contains a space"),
        ("hr,sales,hr", "the group list 'hr,sales,hr' names 'hr' twice"),
    ],
)
def test_a_bad_group_list_is_refused_with_its_line(
    tmp_path: Path, groups: str, message: str
) -> None:
    users = tmp_path / "users"
    users.write_text(f"# users\nann:{HASH}:{groups}\n")
    with pytest.raises(AuthFileError) as raised:
        Credentials.from_file(users)
    assert str(raised.value) == f"{users}, line 2: {message}"
