"""Passwords (issue 11): registration does the same work for a registered e-mail as for a new one (its timing
told which e-mails have accounts), and staff passwords follow the members' rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, func, select

from dashboards.users import DEMO_PASSWORDS, create_user
from gis.errors import InvalidInput
from outages import passwords
from outages.members import service as members
from outages.members.models import MemberAccount, MemberServicePoint, MemberToken
from tests.factories import JC014_POINT
from tests.helpers import PASSWORDS

CHEAP = dict(time_cost=1, memory_cost=1024, parallelism=1)  # these tests count hashes, they need not be slow


class CountingHasher:
    """An Argon2 hasher that counts the passwords it hashes."""

    def __init__(self):
        self.real, self.hashed = PasswordHasher(**CHEAP), 0

    def hash(self, password: str) -> str:
        self.hashed += 1
        return self.real.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        return self.real.verify(hashed, password)


def test_registration_does_the_same_work_for_a_known_email(session, connection, monkeypatch):
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    statements: list[str] = []
    event.listen(
        connection,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement.split()[0].upper()),
    )

    def register(password: str):
        hasher.hashed, statements[:] = 0, []
        out = members.register(session=session, email="ana@example.org", password=password, **JC014_POINT)
        session.flush()
        return out, hasher.hashed, statements.count("INSERT"), statements.count("SELECT")

    new, new_hashes, new_inserts, new_selects = register("correct horse battery staple")
    known, known_hashes, known_inserts, known_selects = register("another good passphrase 2026")
    assert (new.kind, known.kind) == ("activate", "already_registered")
    assert new_hashes == known_hashes == 1  # Argon2 is most of the time a registration takes
    assert new_inserts == known_inserts == 3 and new_selects == known_selects
    # the rehearsal for the known e-mail left nothing behind, and the account kept its password
    counts = [
        session.scalar(select(func.count()).select_from(model))
        for model in (MemberAccount, MemberServicePoint, MemberToken)
    ]
    assert counts == [1, 1, 1]
    account = session.scalar(select(MemberAccount))
    assert hasher.verify(account.password_hash, "correct horse battery staple")


@pytest.fixture
def cheap_staff_hashes(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(**CHEAP))


@pytest.mark.parametrize(
    "username, password",
    [
        ("chief", "password"),
        ("chief", "12345678"),
        ("chief", "qwertyuiop"),
        ("operations", "Operations"),
        ("chief", "abababab"),
    ],
)
def test_staff_passwords_follow_the_members_rules(session, cheap_staff_hashes, username, password):
    with pytest.raises(InvalidInput) as refused:
        create_user(session=session, username=username, password=password, role="admin")
    assert refused.value.field == "password"
    assert " / " not in refused.value.message and "Fix:" in refused.value.message  # staff read English


def test_the_admin_password_password_is_refused_and_the_documented_ones_still_pass(session, cheap_staff_hashes):
    with pytest.raises(InvalidInput, match="too common"):
        create_user(session=session, username="admin-2", password="password", role="admin")
    for role, password in DEMO_PASSWORDS.items():  # README lists these; `make run` creates them
        create_user(session=session, username=f"{role}-2", password=password, role=role)
    for role, password in PASSWORDS.items():
        create_user(session=session, username=f"{role}-3", password=password, role=role)
    passwords.check_password("member-demo", "member@example.org")  # the demo member's


def test_an_admin_cannot_give_an_account_the_password_password(api, cheap_staff_hashes):
    refused = api(
        "POST", "/api/users", as_="admin", json={"username": "lineworker", "password": "password", "role": "dispatcher"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "password"
    assert "too common" in refused.json()["detail"]
    made = api(
        "POST",
        "/api/users",
        as_="admin",
        json={"username": "lineworker", "role": "dispatcher", "password": "pedernales river crossing"},
    )
    assert made.status_code == 201
