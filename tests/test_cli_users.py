"""``outages users create-admin`` and ``outages users create`` (issue 11), run with typer's CliRunner: the
username is an argument, only create-admin reads OUTAGES_ADMIN_PASSWORD, create asks twice (or reads standard
input when told to)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dashboards import cli
from dashboards.migrate import upgrade
from dashboards.settings import ServiceSettings
from dashboards.users import User
from gis.db import make_engine

ADMIN_PASSWORD = "the administrators own passphrase"


@pytest.fixture(scope="module")
def operator_db(tmp_path_factory):
    """A migrated, empty SpatiaLite file, as an operator has after ``outages db upgrade``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-users') / 'ops.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def outages(operator_db, monkeypatch):
    """Run ``outages …`` on the operator's database, with OUTAGES_ADMIN_PASSWORD set as after the first setup."""
    url = operator_db.url.render_as_string(hide_password=False)
    monkeypatch.setattr(cli, "get_settings", lambda: ServiceSettings(database_url=url))
    monkeypatch.setenv("OUTAGES_ADMIN_PASSWORD", ADMIN_PASSWORD)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli.app, list(args), input=input, prog_name="outages")

    return run


def account(engine, username: str) -> User | None:
    with Session(engine) as session:
        return session.scalar(select(User).where(User.username == username))


def has_password(user: User, password: str) -> bool:
    try:
        return PasswordHasher().verify(user.password_hash, password)
    except VerificationError:
        return False


def test_create_admin_takes_the_username_as_an_argument(outages, operator_db):
    named = outages("users", "create-admin", "chief")
    assert named.exit_code == 0, named.output
    default = outages("users", "create-admin")
    assert default.exit_code == 0, default.output
    for username in ("chief", "admin"):
        user = account(operator_db, username)
        assert user.role == "admin" and has_password(user, ADMIN_PASSWORD)
    again = outages("users", "create-admin", "admin")  # the README's spelling, once admin exists
    assert again.exit_code == 1 and "already exists" in again.output


def test_create_asks_twice_and_never_takes_the_admins_password(outages, operator_db):
    done = outages("users", "create", "dana", "--role", "dispatcher", input="dana's own passphrase\n" * 2)
    assert done.exit_code == 0, done.output
    assert "Password for dana" in done.output and "Repeat for confirmation" in done.output
    user = account(operator_db, "dana")
    assert user.role == "dispatcher"
    assert has_password(user, "dana's own passphrase") and not has_password(user, ADMIN_PASSWORD)


def test_create_refuses_two_different_passwords(outages, operator_db):
    done = outages("users", "create", "eli", "--role", "executive", input="one passphrase here\nanother one\n")
    assert done.exit_code != 0
    assert "do not match" in done.output
    assert account(operator_db, "eli") is None


def test_create_reads_standard_input_when_told(outages, operator_db):
    done = outages(
        "users",
        "create",
        "fay",
        "--role",
        "registry",
        "--password-stdin",
        input="a piped passphrase 2026\nignored second line\n",
    )
    assert done.exit_code == 0, done.output
    assert "Password for" not in done.output
    assert has_password(account(operator_db, "fay"), "a piped passphrase 2026")
    empty = outages("users", "create", "gus", "--role", "registry", "--password-stdin", input="")
    assert empty.exit_code == 1 and "No password on standard input" in empty.output
    assert account(operator_db, "gus") is None


def test_create_refuses_a_common_password(outages, operator_db):
    done = outages("users", "create", "hal", "--role", "dispatcher", input="password\npassword\n")
    assert done.exit_code == 1 and "too common" in done.output
    assert account(operator_db, "hal") is None
