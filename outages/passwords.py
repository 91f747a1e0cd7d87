"""Passwords of members and staff alike: the rule they follow, their Argon2id hashes and the sign-in check.

The rule: at least 8 characters, passphrases up to 1,024 allowed, common and breached-style passwords refused
(``outages/data/common-passwords.txt``, plus the account's own name).  A sign-in for an account that does not
exist checks a dummy hash, so its answer takes as long as a wrong password's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from gis.errors import InvalidInput
from outages.members.texts import both

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("timing-equaliser")


@lru_cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "common-passwords.txt"
    return frozenset(line.strip() for line in path.read_text().splitlines() if line and not line.startswith("#"))


def check_password(password: str, name: str) -> None:
    """Refuse short, overlong, common or ``name``-derived passwords (``name``: an e-mail or a username) with a
    plain reason, in English and Spanish."""
    if len(password) < 8:
        raise InvalidInput(
            both("password_short"),
            field="password",
        )
    if len(password) > 1024:
        raise InvalidInput(
            both("password_long"),
            field="password",
        )
    lowered = password.lower()
    if lowered in _common_passwords() or lowered == name.split("@")[0].lower() or len(set(password)) < 4:
        raise InvalidInput(
            both("password_common"),
            field="password",
        )


def hash_password(password: str) -> str:
    """The Argon2id hash to store for ``password``."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from; with no hash (no such account) a dummy
    is checked instead, so the answer takes the same time."""
    try:
        _hasher.verify(_DUMMY if password_hash is None else password_hash, password)
    except VerificationError:
        return False
    return password_hash is not None
