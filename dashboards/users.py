"""Staff accounts and roles (passwords: :mod:`outages.passwords`), and the demo accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gis.db import Base, UTCDateTime, utcnow
from gis.errors import Conflict, InvalidInput, NotAuthenticated
from gis.models import ServicePoint
from outages.members import service as members
from outages.members.models import MemberAccount
from outages.passwords import check_password, hash_password, password_matches

ROLES = ("dispatcher", "executive", "registry", "admin")
DEMO_PASSWORDS = {role: f"{role}-demo" for role in ROLES}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('dispatcher','executive','registry','admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def create_user(
    *, session: Session, username: str, password: str, role: str, full_name: str | None = None, demo: bool = False
) -> User:
    """Add a user; the password follows the members' rules (:func:`outages.passwords.check_password`: 8 to 1,024
    characters, not a common password, not the username)."""
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is not a role. Fix: use one of {', '.join(ROLES)}.", field="role")
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("username must be letters, digits, '.', '-' or '_'. Fix: choose another.", field="username")
    try:
        check_password(password, username)
    except InvalidInput as err:  # staff read English: the half before " / "
        raise InvalidInput(err.message.split(" / ")[0], field="password") from None
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists. Fix: choose another username.")
    user = User(username=username, full_name=full_name, role=role, password_hash=hash_password(password), demo=demo)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or NotAuthenticated (same answer for any failure)."""
    user = session.scalar(select(User).where(User.username == username))
    if not password_matches(user.password_hash if user else None, password):
        user = None
    if user is None or not user.active:
        raise NotAuthenticated("Wrong username or password. Fix: check both and try again.")
    return user


def ensure_demo_users(*, session: Session) -> list[str]:
    """Create the documented demo accounts (embedded demo only)."""
    made = []
    for role, password in DEMO_PASSWORDS.items():
        if not session.scalar(select(User).where(User.username == role)):
            create_user(
                session=session, username=role, password=password, role=role, full_name=f"Demo {role}", demo=True
            )
            made.append(role)
    return made


DEMO_MEMBER = ("member@example.org", "member-demo")


def ensure_demo_member(*, session: Session) -> bool:
    """A demo member account, active, on the first two service points (embedded demo only)."""
    email, password = DEMO_MEMBER
    if session.scalar(select(MemberAccount.id).where(MemberAccount.email == email)):
        return False
    first, second = session.scalars(select(ServicePoint).order_by(ServicePoint.id).limit(2)).all()
    out = members.register(
        session=session,
        email=email,
        password=password,
        account_number=first.account_number,
        meter_number=first.meter_number,
    )
    assert out.token is not None  # a new e-mail (checked above): an activation, with its token
    members.activate(session=session, token=out.token)
    account = session.scalar(select(MemberAccount).where(MemberAccount.email == email))
    assert account is not None  # registered just now
    members.add_service_point(
        session=session, account=account, account_number=second.account_number, meter_number=second.meter_number
    )
    return True


def demo_users_present(*, session: Session) -> bool:
    staff = session.scalar(select(User.id).where(User.demo, User.active).limit(1))
    return (
        staff is not None
        or session.scalar(select(MemberAccount.id).where(MemberAccount.email == DEMO_MEMBER[0])) is not None
    )
