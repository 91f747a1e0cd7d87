"""FastAPI dependencies: the database session, the current user and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import NotAuthenticated, PermissionDenied
from dashboards.settings import get_settings
from dashboards.users import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; write routes commit explicitly, anything else rolls back."""
    with request.app.state.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def issue_token(user: User) -> str:
    settings = get_settings()
    claims = {"sub": user.username, "role": user.role, "exp": utcnow() + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(claims, settings.signing_key, algorithm="HS256")


def current_user(db: DbSession, token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise NotAuthenticated("Log in first. Fix: send 'Authorization: Bearer <token>' from POST /api/auth/token.")
    try:
        claims = jwt.decode(token, get_settings().signing_key, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("Your session has expired. Fix: log in again.") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("The token is not valid. Fix: log in again.") from None
    user = db.query(User).filter(User.username == claims.get("sub")).one_or_none()
    if user is None or not user.active:
        raise NotAuthenticated("This account is not active. Fix: ask an administrator.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: str):
    """A dependency that lets only the given roles through (403 otherwise)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDenied(f"Your role ({user.role}) may not do this; it needs {' or '.join(roles)}.")
        return user

    return Depends(check)


READ_LOG = ("dispatcher", "executive", "registry", "admin")
Reader = Annotated[User, require(*READ_LOG)]
Dispatcher = Annotated[User, require("dispatcher")]
Admin = Annotated[User, require("admin")]
