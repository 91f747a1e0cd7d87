"""FastAPI dependencies: the database session, the current user and role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import NotAuthenticated, PermissionDenied
from dashboards.settings import get_settings
from dashboards.users import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request: read-only for GET and HEAD (it never waits for, nor holds up, a writer),
    writing for the other methods, whose routes commit explicitly; anything not committed rolls back.

    Async only to spare a thread hop: opening a session does no I/O, the queries run in the
    route's worker thread."""
    state = request.app.state
    with (state.readers if request.method in ("GET", "HEAD") else state.sessions)() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def issue_token(user: User) -> str:
    settings = get_settings()
    claims = {"sub": user.username, "role": user.role, "exp": utcnow() + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(claims, settings.signing_key, algorithm="HS256")


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
    try:
        claims = jwt.decode(token, get_settings().signing_key, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Your session has expired. Fix: log in again.") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("The token is not valid. Fix: log in again.") from None
    accounts = request.app.state.accounts
    username = claims.get("sub")
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

    check.roles = roles  # dashboards.errors documents 403 on the routes that check a role
    return Depends(check)


READ_LOG = ("dispatcher", "executive", "registry", "admin")
Reader = Annotated[Principal, require(*READ_LOG)]
Dispatcher = Annotated[Principal, require("dispatcher")]
Admin = Annotated[Principal, require("admin")]
Keeper = Annotated[Principal, require("registry", "admin")]
Executive = Annotated[Principal, require("executive", "admin")]
Responder = Annotated[Principal, require("executive", "dispatcher", "admin")]
