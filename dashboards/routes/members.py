"""Member accounts under /api/members: register, activate, sign in, reset, own service points."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta
from time import monotonic
from typing import Annotated

import jwt
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from dashboards.deps import DbSession
from dashboards.settings import get_settings
from gis.db import utcnow
from gis.errors import InvalidInput, NotAuthenticated, TooManyRequests
from gis.models import Feeder
from gis.service import Topology, count_members
from outages import members
from outages.member_reports import report_outage
from outages.models import Interruption
from reports.delivery import get_smtp_settings, send_email

router = APIRouter(tags=["members"])
member_oauth = OAuth2PasswordBearer(tokenUrl="/api/members/token", auto_error=False)
SAME_ANSWER = "If the details are right, we have sent an e-mail with what to do next. / Si los datos son " \
              "correctos, le enviamos un correo con los siguientes pasos."


class _Limiter:
    """At most ``limit`` requests per ``seconds`` per client and action, in this process."""

    def __init__(self, limit: int = 10, seconds: float = 60.0):
        self.limit, self.seconds, self.hits = limit, seconds, defaultdict(deque)

    def check(self, request: Request, action: str) -> None:
        key = (action, request.client.host if request.client else "?")
        hits, now = self.hits[key], monotonic()
        while hits and now - hits[0] > self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            raise TooManyRequests(f"Too many {action} attempts from here. Fix: wait a minute and try again.")
        hits.append(now)


limiter = _Limiter()

TEXTS = {
    ("activate", "en"): ("Activate your outage account", "Open this link to activate your account: {link}\n"
                                                          "The link works for 48 hours."),
    ("activate", "es"): ("Active su cuenta de apagones", "Abra este enlace para activar su cuenta: {link}\n"
                                                         "El enlace funciona durante 48 horas."),
    ("already_registered", "en"): ("Your outage account", "This address already has an account. Sign in, or "
                                                          "reset your password if you forgot it."),
    ("already_registered", "es"): ("Su cuenta de apagones", "Esta dirección ya tiene una cuenta. Inicie sesión o "
                                                            "restablezca su contraseña si la olvidó."),
    ("reset", "en"): ("Reset your password", "Open this link within 2 hours to choose a new password: {link}"),
    ("reset", "es"): ("Restablezca su contraseña", "Abra este enlace en 2 horas para elegir una contraseña nueva: "
                                                   "{link}"),
    ("no_account", "en"): ("Password reset", "Someone asked to reset a password for this address, but no outage "
                                             "account uses it. If it was you, register first."),
}


def _mail(out: members.Outgoing | None, base: str) -> None:
    if out is None:
        return
    subject, body = TEXTS.get((out.kind, out.language)) or TEXTS[(out.kind, "en")]
    path = "/api/members/activate" if out.kind == "activate" else "/members/reset"
    link = f"{base}{path}?token={out.token}" if out.token else ""
    try:
        send_email(get_smtp_settings(), to=out.to, subject=subject, text=body.format(link=link))
    except Exception:  # noqa: BLE001 - the member can ask again; nothing to tell the caller
        pass


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class RegisterIn(BaseModel):
    email: str
    password: Annotated[str, Field(max_length=1024)]
    account_number: str
    meter_number: str
    language: str = "en"


class Answer(BaseModel):
    detail: str


@router.post("/api/members/register", response_model=Answer, status_code=202, summary="Register (e-mail link)")
def register(db: DbSession, request: Request, data: RegisterIn, tasks: BackgroundTasks) -> Answer:
    limiter.check(request, "registration")
    out = members.register(session=db, email=data.email, password=data.password, language=data.language,
                           account_number=data.account_number, meter_number=data.meter_number)
    db.commit()
    tasks.add_task(_mail, out, _base(request))
    return Answer(detail=SAME_ANSWER)


class ActivationOut(BaseModel):
    status: str
    detail: str


@router.get("/api/members/activate", response_model=ActivationOut, summary="Open the activation link")
def activate(db: DbSession, token: str) -> ActivationOut:
    status = members.activate(session=db, token=token)
    db.commit()
    words = {"activated": "Your account is active. You can sign in now. / Su cuenta está activa.",
             "already_active": "Your account is already active. You can sign in. / Su cuenta ya está activa."}
    return ActivationOut(status=status, detail=words[status])


class EmailIn(BaseModel):
    email: str


@router.post("/api/members/resend-activation", response_model=Answer, status_code=202,
             summary="Send a new activation link")
def resend(db: DbSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limiter.check(request, "registration")
    out = members.resend_activation(session=db, email=data.email)
    db.commit()
    tasks.add_task(_mail, out, _base(request))
    return Answer(detail=SAME_ANSWER)


@router.post("/api/members/password-reset", response_model=Answer, status_code=202,
             summary="Ask for a password-reset link")
def password_reset(db: DbSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limiter.check(request, "reset")
    out = members.request_reset(session=db, email=data.email)
    db.commit()
    tasks.add_task(_mail, out, _base(request))
    return Answer(detail=SAME_ANSWER)


class ResetIn(BaseModel):
    token: str
    password: Annotated[str, Field(max_length=1024)]


@router.post("/api/members/password-reset/confirm", response_model=Answer, summary="Set a new password")
def password_reset_confirm(db: DbSession, data: ResetIn) -> Answer:
    members.reset_password(session=db, token=data.token, password=data.password)
    db.commit()
    return Answer(detail="Your password is changed. You can sign in now.")


class MemberToken(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/api/members/token", response_model=MemberToken, summary="Member sign-in (e-mail and password)")
def token(db: DbSession, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> MemberToken:
    limiter.check(request, "sign-in")
    account = members.authenticate_member(session=db, email=form.username, password=form.password)
    settings = get_settings()
    claims = {"sub": f"member:{account.id}", "kind": "member",
              "exp": utcnow() + timedelta(minutes=settings.token_minutes)}
    return MemberToken(access_token=jwt.encode(claims, settings.signing_key, algorithm="HS256"))


def current_member(db: DbSession, token: Annotated[str | None, Depends(member_oauth)]) -> members.MemberAccount:
    try:
        claims = jwt.decode(token or "", get_settings().signing_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise NotAuthenticated("Sign in first. Fix: POST /api/members/token with your e-mail and password.") from None
    if claims.get("kind") != "member":
        raise NotAuthenticated("This is not a member sign-in. Fix: sign in as a member.")
    account = db.get(members.MemberAccount, int(claims["sub"].split(":")[1]))
    if account is None or not account.active:
        raise NotAuthenticated("This account is not active. Fix: open the activation link we e-mailed you.")
    return account


Member = Annotated[members.MemberAccount, Depends(current_member)]


class MyServicePoint(BaseModel):
    account_number: str
    meter_number: str
    status: str
    etr_at: datetime | None


class MeOut(BaseModel):
    email: str
    language: str
    service_points: list[MyServicePoint]


def _status(db, sp, parent_of: dict[int, int]) -> tuple[str, datetime | None]:
    """'out' when an open interruption is on the service point's device or one above it, its whole feeder,
    or a line feeding its substation; 'possibly_out' when part of its feeder is out with no device named."""
    feeder = db.get(Feeder, sp.feeder_id)
    lines = [t.id for t in feeder.substation.transmission_lines]
    records = db.scalars(select(Interruption).where(Interruption.status == "open", or_(
        Interruption.feeder_id == sp.feeder_id, Interruption.transmission_line_id.in_(lines)))).all()
    chain, device = set(), sp.device_id
    while device is not None:
        chain.add(device)
        device = parent_of.get(device)
    served = count_members(session=db, feeder_id=sp.feeder_id)
    status, etrs = "on", []
    for r in records:
        certain = (r.transmission_line_id is not None or r.device_id in chain
                   or (r.device_id is None and r.members_out >= served))
        if certain or (r.device_id is None and status == "on"):
            status = "out" if certain else "possibly_out"
            etrs.append(r.etr_at)
    return status, max(filter(None, etrs), default=None)


@router.get("/api/members/me", response_model=MeOut, summary="My account and the status of my service points")
def me(db: DbSession, account: Member) -> MeOut:
    points = []
    parent_of = {child: parent for parent, kids in Topology(db).children.items() for child in kids}
    for sp in members.service_points_of(session=db, account_id=account.id):
        status, etr = _status(db, sp, parent_of)
        points.append(MyServicePoint(account_number=sp.account_number, meter_number=sp.meter_number, status=status,
                                     etr_at=etr))
    return MeOut(email=account.email, language=account.language, service_points=points)


class ServicePointIn(BaseModel):
    account_number: str
    meter_number: str


@router.post("/api/members/me/service-points", response_model=MeOut, status_code=201,
             summary="Add another of my service points (account and meter number)")
def add_point(db: DbSession, account: Member, data: ServicePointIn) -> MeOut:
    members.add_service_point(session=db, account=account, account_number=data.account_number,
                              meter_number=data.meter_number)
    db.commit()
    return me(db, account)


class ReportAck(BaseModel):
    id: int
    status: str
    detail: str


def _ack(report, created: bool) -> ReportAck:
    detail = ("Thank you: your report is recorded and the control room can see it. / Gracias: su reporte quedó "
              "registrado." if created else
              "We already have your report for this meter. / Ya tenemos su reporte para este medidor.")
    return ReportAck(id=report.id, status=report.status, detail=detail)


class MyReportIn(BaseModel):
    meter_number: str


@router.post("/api/members/me/outage-reports", response_model=ReportAck, status_code=201,
             summary="Report an outage at one of my service points (two taps)")
def report_mine(db: DbSession, account: Member, data: MyReportIn, response: Response) -> ReportAck:
    sp = next((p for p in members.service_points_of(session=db, account_id=account.id)
               if p.meter_number == data.meter_number.strip()), None)
    if sp is None:
        raise InvalidInput("That meter is not one of yours. Fix: choose one of your service points.",
                           field="meter_number")
    report, created = report_outage(session=db, service_point=sp, account_id=account.id)
    db.commit()
    response.status_code = 201 if created else 200
    return _ack(report, created)


class AnonymousReportIn(BaseModel):
    account_number: str
    meter_number: str


@router.post("/api/members/outage-reports", response_model=ReportAck, status_code=201,
             summary="Report an outage without signing in (account and meter number from the bill)")
def report_anonymous(db: DbSession, request: Request, data: AnonymousReportIn, response: Response) -> ReportAck:
    limiter.check(request, "report")
    sp = members.service_point_by_bill(db, data.account_number, data.meter_number)
    report, created = report_outage(session=db, service_point=sp)
    db.commit()
    response.status_code = 201 if created else 200
    return _ack(report, created)
