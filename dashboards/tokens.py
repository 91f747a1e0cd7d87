"""Bearer tokens, issued at sign-in and checked on every request: signed (HS256) with the service's key, for one
subject, expiring after the configured minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jwt

from dashboards.settings import get_settings
from gis.db import utcnow
from gis.errors import NotAuthenticated
from outages.members.texts import both


@dataclass(frozen=True)
class Kind:
    """Whom a kind of token is for (its ``kind`` claim, none on staff tokens) and what a caller is told whose
    token is expired, not valid, or of another kind."""

    claim: str | None
    expired: str
    invalid: str
    other: str = ""


SIGN_IN_FIRST = both("sign_in_first")
# staff tokens carry the role instead of a kind; a member's subject ("member:<id>") names no staff account
STAFF = Kind(
    None, expired="Your session has expired. Fix: log in again.", invalid="The token is not valid. Fix: log in again."
)
MEMBER = Kind(
    "member",
    expired=SIGN_IN_FIRST,
    invalid=SIGN_IN_FIRST,
    other=both("not_member_sign_in"),
)


def issue(kind: Kind, subject: str, **claims: str) -> str:
    """A signed token of ``kind`` for ``subject``, with ``claims``, valid for ``token_minutes``."""
    settings = get_settings()
    kind_claim = {"kind": kind.claim} if kind.claim else {}
    payload = {"sub": subject, **claims, **kind_claim, "exp": utcnow() + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(payload, settings.signing_key, algorithm="HS256")


def subject_of(kind: Kind, token: str) -> str:
    """The subject of a token of ``kind`` this service signed and that has not expired; otherwise
    :class:`NotAuthenticated` with what ``kind`` tells the caller."""
    try:
        claims = jwt.decode(
            token, get_settings().signing_key, algorithms=["HS256"], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated(kind.expired) from None
    except jwt.PyJWTError:
        raise NotAuthenticated(kind.invalid) from None
    if kind.claim and claims.get("kind") != kind.claim:
        raise NotAuthenticated(kind.other)
    return claims["sub"]
