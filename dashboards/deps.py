"""FastAPI dependencies: the database session, the current user and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from time import monotonic
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboards import tokens
from dashboards.users import User
from gis.errors import NotAuthenticated, PermissionDenied

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def read_session(request: Request) -> Iterator[Session]:
    """A read-only session for a route that only reads: it never waits for, nor holds up, a writer (SQLite's
    write lock is not taken), and any attempt to write fails loudly (:class:`gis.errors.ReadOnlyViolation`)."""
    with request.app.state.readers() as session:
        yield session


def write_session(request: Request) -> Iterator[Session]:
    """A writing session for a route that changes data: committed once the handler returns (before the
    answer is sent, so a failed commit is the answer), rolled back if the handler raises.  Routes never
    commit themselves."""
    with request.app.state.sessions() as session:
        yield session
        session.commit()


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


def issue_token(user: User) -> str:
    """A staff bearer token for ``user``, naming its role (:func:`dashboards.tokens.issue`)."""
    return tokens.issue(tokens.STAFF, user.username, role=user.role)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account name and its current role."""

    username: str
    role: str


ACCOUNT_CHECK_SECONDS = 30.0


def current_user(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    """The caller behind a valid bearer token.  The account's role and active flag are read from the
    database at most every 30 s per account, so a disabled account or a changed role takes effect
    within 30 s without a query on every request.  A plain ``def``: FastAPI runs it in a worker thread,
    so its query never waits for the database on the event loop (which the requests holding the
    database need, to finish)."""
    if not token:
        raise NotAuthenticated("Log in first. Fix: send 'Authorization: Bearer <token>' from POST /api/auth/token.")
    username = tokens.subject_of(tokens.STAFF, token)
    accounts = request.app.state.accounts
    checked = accounts.get(username)
    if checked is None or monotonic() - checked[0] > ACCOUNT_CHECK_SECONDS:
        with request.app.state.readers() as db:
            row = db.execute(select(User.role, User.active).where(User.username == username)).first()
        checked = accounts[username] = (monotonic(), Principal(username, row.role) if row and row.active else None)
    if checked[1] is None:
        raise NotAuthenticated("This account is not active. Fix: ask an administrator.")
    return checked[1]


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(*roles: str):
    """A dependency that lets only the given roles through (403 otherwise)."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise PermissionDenied(f"Your role ({user.role}) may not do this; it needs {' or '.join(roles)}.")
        return user

    cast(Any, check).roles = roles  # dashboards.errors documents 403 on the routes that check a role
    return Depends(check)


READ_LOG = ("dispatcher", "executive", "registry", "admin")
Reader = Annotated[Principal, require(*READ_LOG)]
Dispatcher = Annotated[Principal, require("dispatcher")]
Admin = Annotated[Principal, require("admin")]
Keeper = Annotated[Principal, require("registry", "admin")]
Executive = Annotated[Principal, require("executive", "admin")]
Responder = Annotated[Principal, require("executive", "dispatcher", "admin")]
