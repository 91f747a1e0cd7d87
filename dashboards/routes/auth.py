"""Staff sign-in and accounts: /api/auth/token, /api/auth/me and /api/users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select

from dashboards import limits
from dashboards.deps import Admin, CurrentUser, ReadSession, WriteSession, issue_token
from dashboards.users import ROLES, User, authenticate, create_user

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str


class UserOut(BaseModel):
    username: str
    full_name: str | None
    role: str
    active: bool


class UserCreate(BaseModel):
    username: Annotated[str, Field(min_length=2, max_length=80)]
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    role: str = Field(description=f"One of {', '.join(ROLES)}")
    full_name: str | None = None


@router.post(
    "/api/auth/token",
    response_model=Token,
    summary="Log in (OAuth2 password form) for a bearer token",
    responses={**limits.LIMITED, 401: {"description": "Wrong username or password"}},
)
def token(db: ReadSession, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """A plain ``def``: FastAPI runs it in a worker thread, so the Argon2 check never blocks the event loop."""
    # only reads (no write lock while Argon2 checks); the attempt is counted in the limiter's own transaction
    attempt = limits.sign_in(request, account=f"staff:{form.username}")  # counted before the password is checked
    user = authenticate(session=db, username=form.username, password=form.password)  # a failure stays counted
    answer = Token(access_token=issue_token(user), role=user.role)
    db.rollback()  # the read is over: end it before the limiter's own transaction
    attempt.succeeded()
    return answer


@router.get("/api/auth/me", response_model=UserOut, summary="Who am I")
def me(db: ReadSession, user: CurrentUser) -> UserOut:
    return UserOut.model_validate(db.scalar(select(User).where(User.username == user.username)), from_attributes=True)


@router.post("/api/users", response_model=UserOut, status_code=201, summary="Create a user (admin)")
def add_user(db: WriteSession, _admin: Admin, data: UserCreate) -> UserOut:
    user = create_user(
        session=db, username=data.username, password=data.password, role=data.role, full_name=data.full_name
    )
    return UserOut.model_validate(user, from_attributes=True)
