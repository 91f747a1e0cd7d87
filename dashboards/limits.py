"""Rate limits that hold across worker processes: the counts live in the database (table ``rate_limits``),
not in one process's memory.

Policy (the numbers are settings, see :class:`dashboards.settings.ServiceSettings`):

- **Sign-in** (staff ``POST /api/auth/token``, members ``POST /api/members/token``) is limited per account
  and per client: at most 10 failed attempts a minute each.  The next attempt gets 429 with ``Retry-After``,
  before any password is checked, and a lock of 1 minute begins.  While failures go on, the lock grows:
  after a lock, the first failure locks again for twice as long (2, 4, 8 … minutes, at most 15).  A quarter
  of an hour without an attempt (after the lock ends) forgets it all.  A successful sign-in clears the
  account's count, and takes itself off the client's count, but never clears a client's failures (one
  valid account must not buy more guesses at others).  Staff and member accounts are counted apart; a
  client's failures count together on both sign-ins.  Each attempt is counted *before* its password is
  checked and taken off again when it succeeds, so a burst of parallel guesses cannot pass the limit.
- **Registration** (with resent activations), **password-reset requests** and **outage reports without
  signing in** are limited per client, every request counting: 10, 10 and 30 a minute (outage reports get
  more room: in a storm many members share one address behind a mobile carrier's NAT).  The minute starts
  at a client's first request, so up to twice the rate can pass across the edge of two minutes.

The client is the direct peer's address.  ``X-Forwarded-For`` is believed only when the peer is one of
``OUTAGES_TRUSTED_PROXIES``; then the client is the right-most address in it that is not a trusted proxy
(everything left of that is whatever the client chose to send).

Each count is one row keyed by action, scope and the SHA-256 of the account name or address (no typed
username or e-mail is stored in clear).  Every count is written in its own short transaction of
``request.app.state.sessions``, which commits whether or not the sign-in then fails (the request's own
session rolls back on an error); a route ends its own transaction before it clears a count (SQLite has
one writer at a time).  Rows long past their minute and lock are deleted whenever a new row is made, so
the table holds only the clients and accounts of the last quarter of an hour.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from dashboards.settings import get_settings
from gis.db import Base, UTCDateTime, transaction, utcnow
from gis.errors import TooManyRequests
from outages.members.texts import ERRORS

# declared on every limited route (``responses=limits.LIMITED``)
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts from this client (or, signing in, for this account). Fix: wait "
        "as many seconds as the Retry-After header says and try again.",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    }
}
WINDOW = timedelta(minutes=1)
FIRST_LOCK = timedelta(minutes=1)
QUIET = timedelta(minutes=15)  # a row this long past its minute and its lock is forgotten (and pruned)


class RateLimit(Base):
    """One counted thing: an action by one account or from one client."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # action:scope:sha256
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)  # the counting minute began
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # counted in it (sign-in: all but successes)
    strikes: Mapped[int] = mapped_column(Integer, default=0)  # sign-in locks in a row
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # forgotten (and pruned) after


def key(action: str, scope: str, value: str) -> str:
    """The row key of ``action`` by one account or client (``scope``), the value itself only hashed."""
    return f"{action}:{scope}:{hashlib.sha256(value.encode()).hexdigest()}"


def client_address(request: Request) -> str:
    """The client's address: the direct peer's, unless the peer is a trusted proxy (OUTAGES_TRUSTED_PROXIES);
    then the right-most X-Forwarded-For entry that is not a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = get_settings().trusted_proxy_networks
    if not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return hops[0] if hops else peer  # only proxies: the left-most is the client


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _wait(seconds: int) -> tuple[str, str]:
    """How long to wait, in English and in Spanish (:data:`outages.members.texts.ERRORS` ``wait_…``)."""
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        key, n = "wait_seconds", seconds
    else:
        key, n = ("wait_minutes" if minutes > 1 else "wait_minute"), minutes
    en, es = ERRORS[key]
    return en.format(n=n), es.format(n=n)


def _refusal(key: str, seconds: int, spanish: bool, **values: str) -> TooManyRequests:
    """The refusal ``key`` of :data:`outages.members.texts.ERRORS`: "English / Spanish", or (``spanish``
    false: staff signing in) only its English half."""
    en_wait, es_wait = _wait(seconds)
    english, in_spanish = ERRORS[key]
    message = english.format(wait=en_wait, **values)
    if spanish:
        message += " / " + in_spanish.format(wait=es_wait, **values)
    return TooManyRequests(message, retry_after=seconds)


def _row(session: Session, row_key: str, now: datetime) -> tuple[RateLimit, bool]:
    """The row of ``row_key``, locked until the transaction ends (made if missing, reset if forgotten), and
    whether it was made."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    new = (
        insert(RateLimit)
        .values(key=row_key, window_start=now, attempts=0, strikes=0, expires_at=now + WINDOW)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(RateLimit.key)
    )  # a row only if inserted
    row = None
    while row is None:  # again if a prune deleted the row between the two statements
        made = session.execute(new).first() is not None
        row = session.scalar(select(RateLimit).where(RateLimit.key == row_key).with_for_update())
    if row.expires_at <= now:
        row.window_start, row.attempts, row.strikes, row.locked_until = now, 0, 0, None
    return row, made


def _prune(sessions: sessionmaker[Session], now: datetime) -> None:
    """Delete forgotten rows (an indexed range), in a transaction of its own that holds no other row."""
    try:
        with transaction(sessions) as session:
            session.execute(
                delete(RateLimit).where(RateLimit.expires_at < now).execution_options(synchronize_session=False)
            )
    except OperationalError:  # a deadlock with another prune: the next new row prunes again
        pass


def count_request(
    sessions: sessionmaker[Session], *, action: str, client: str, limit: int, now: datetime | None = None
) -> None:
    """Count one request of ``action`` from ``client``; TooManyRequests (with the seconds to wait) when the
    client already made ``limit`` of them in its current minute.  Commits on its own."""
    now = now or utcnow()
    refused = None
    with transaction(sessions) as session:
        row, made = _row(session, key(action, "client", client), now)
        if now >= row.window_start + WINDOW:
            row.window_start, row.attempts = now, 0
        if row.attempts >= limit:
            refused = _seconds(row.window_start + WINDOW - now)
        else:
            row.attempts += 1
            row.expires_at = row.window_start + WINDOW
    if made:
        _prune(sessions, now)
    if refused is not None:
        raise _refusal("too_many_requests", refused, spanish=True, action=action)


@dataclass(frozen=True)
class SignIn:
    """A sign-in attempt counted against its account and client; :meth:`succeeded` takes it off again."""

    sessions: sessionmaker[Session]
    account_key: str
    client_key: str
    at: datetime

    def succeeded(self) -> None:
        """The password was right: clear the account's count and take this attempt off the client's.
        Call it after ending the request's own transaction."""
        with transaction(self.sessions) as session:
            session.execute(
                delete(RateLimit).where(RateLimit.key == self.account_key).execution_options(synchronize_session=False)
            )
            row = session.scalar(select(RateLimit).where(RateLimit.key == self.client_key).with_for_update())
            if row is not None and row.window_start <= self.at and row.attempts > 0:
                row.attempts -= 1


def attempt_sign_in(
    sessions: sessionmaker[Session],
    *,
    account: str,
    client: str,
    limit: int,
    max_lock: timedelta,
    spanish: bool = False,
    now: datetime | None = None,
) -> SignIn:
    """Count a sign-in attempt for ``account`` (e.g. ``staff:dispatcher``) from ``client`` before its password
    is checked; TooManyRequests (with the seconds to wait) while either is locked, or when either already has
    ``limit`` failures in its minute (``1`` after a lock), which begins a lock twice as long as the last (1
    minute at first, at most ``max_lock``).  Commits on its own, refused or not."""
    now = now or utcnow()
    keys = sorted([key("sign-in", "account", account), key("sign-in", "client", client)])  # one lock order
    refused, made = None, False
    with transaction(sessions) as session:
        rows = []
        for row_key in keys:
            row, new = _row(session, row_key, now)
            rows.append(row)
            made |= new
        for row in rows:
            if not row.strikes and now >= row.window_start + WINDOW:
                row.window_start, row.attempts = now, 0
        locked = [r.locked_until for r in rows if r.locked_until and r.locked_until > now]
        if not locked:
            for row in rows:
                if row.attempts >= (1 if row.strikes else limit):  # a new lock, twice the last
                    row.locked_until = now + min(FIRST_LOCK * 2**row.strikes, max_lock)
                    row.strikes, row.attempts, row.window_start = row.strikes + 1, 0, row.locked_until
                    locked.append(row.locked_until)
        if locked:
            refused = _seconds(max(locked) - now)
        else:
            for row in rows:
                row.attempts += 1
        for row in rows:
            row.expires_at = max(now, row.window_start + WINDOW, row.locked_until or now) + QUIET
    if made:
        _prune(sessions, now)
    if refused is not None:
        raise _refusal("too_many_sign_ins", refused, spanish)
    account_key, client_key = key("sign-in", "account", account), key("sign-in", "client", client)
    return SignIn(sessions, account_key, client_key, now)


def sign_in(request: Request, *, account: str, spanish: bool = False) -> SignIn:
    """:func:`attempt_sign_in` for this request's client, with the configured limits."""
    settings = get_settings()
    return attempt_sign_in(
        request.app.state.sessions,
        account=account,
        client=client_address(request),
        limit=settings.sign_in_limit,
        spanish=spanish,
        max_lock=timedelta(minutes=settings.sign_in_max_lock_minutes),
    )


REQUEST_LIMITS = {"registration": "member_request_limit", "reset": "member_request_limit", "report": "report_limit"}


def check(request: Request, action: str) -> None:
    """:func:`count_request` for this request's client, at the configured rate of ``action``."""
    count_request(
        request.app.state.sessions,
        action=action,
        client=client_address(request),
        limit=getattr(get_settings(), REQUEST_LIMITS[action]),
    )
