"""Member accounts under /api/members: register, activate, sign in, reset, own service points and their
status, outage reports, alert choices and recipients (confirm, unsubscribe)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import jwt
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select

from dashboards import limits
from dashboards.deps import DbSession
from dashboards.settings import get_settings
from gis.db import utcnow
from gis.errors import InvalidInput, NotAuthenticated
from gis.ids import DbId
from gis.network import network
from outages import alerts, members
from outages.affected import point_state
from outages.member_reports import OutageReport, report_outage
from reports.delivery import get_smtp_settings, send_email
from reports.member_alerts import get_sms_settings, send_confirmation

router = APIRouter(tags=["members"])
member_oauth = OAuth2PasswordBearer(tokenUrl="/api/members/token", auto_error=False, scheme_name="MemberToken")
SAME_ANSWER = "If the details are right, we have sent an e-mail with what to do next. / Si los datos son " \
              "correctos, le enviamos un correo con los siguientes pasos."


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
    path = "/members/activate" if out.kind == "activate" else "/members/reset"
    link = f"{base}{path}?token={out.token}" if out.token else ""
    try:
        send_email(get_smtp_settings(), to=out.to, subject=subject, text=body.format(link=link))
    except Exception:  # noqa: BLE001 - the member can ask again; nothing to tell the caller
        pass


def _base() -> str:
    """Where links in messages lead: the configured public address, never the request's Host header (a forged
    Host would otherwise mail a member a reset link to an attacker's site)."""
    return get_settings().public_base


class RegisterIn(BaseModel):
    email: str
    password: Annotated[str, Field(max_length=1024)]
    account_number: str
    meter_number: str
    language: str = "en"


class Answer(BaseModel):
    detail: str


@router.post("/api/members/register", response_model=Answer, status_code=202, summary="Register (e-mail link)",
             responses=limits.LIMITED)
def register(db: DbSession, request: Request, data: RegisterIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "registration")
    out = members.register(session=db, email=data.email, password=data.password, language=data.language,
                           account_number=data.account_number, meter_number=data.meter_number)
    db.commit()
    tasks.add_task(_mail, out, _base())
    return Answer(detail=SAME_ANSWER)


class ActivationOut(BaseModel):
    status: str
    detail: str


class TokenIn(BaseModel):
    token: str = Field(description="the token of the link the member opened")


@router.post("/api/members/activate", response_model=ActivationOut,
             summary="Activate with the e-mailed link's token (twice is fine)")
def activate(db: DbSession, data: TokenIn) -> ActivationOut:
    status = members.activate(session=db, token=data.token)
    db.commit()
    words = {"activated": "Your account is active. You can sign in now. / Su cuenta está activa.",
             "already_active": "Your account is already active. You can sign in. / Su cuenta ya está activa."}
    return ActivationOut(status=status, detail=words[status])


class EmailIn(BaseModel):
    email: str


@router.post("/api/members/resend-activation", response_model=Answer, status_code=202,
             summary="Send a new activation link", responses=limits.LIMITED)
def resend(db: DbSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "registration")
    out = members.resend_activation(session=db, email=data.email)
    db.commit()
    tasks.add_task(_mail, out, _base())
    return Answer(detail=SAME_ANSWER)


@router.post("/api/members/password-reset", response_model=Answer, status_code=202,
             summary="Ask for a password-reset link", responses=limits.LIMITED)
def password_reset(db: DbSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "reset")
    out = members.request_reset(session=db, email=data.email)
    db.commit()
    tasks.add_task(_mail, out, _base())
    return Answer(detail=SAME_ANSWER)


class ResetIn(BaseModel):
    token: str
    password: Annotated[str, Field(max_length=1024)]


@router.post("/api/members/password-reset/confirm", response_model=Answer, summary="Set a new password")
def password_reset_confirm(db: DbSession, data: ResetIn) -> Answer:
    members.reset_password(session=db, token=data.token, password=data.password)
    db.commit()
    return Answer(detail="Your password is changed. You can sign in now. / Su contraseña cambió. Ya puede "
                        "iniciar sesión.")


class MemberToken(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/api/members/token", response_model=MemberToken, summary="Member sign-in (e-mail and password)",
             responses={**limits.LIMITED, 401: {"description": "Wrong e-mail or password, or not activated yet"}})
def token(db: DbSession, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> MemberToken:
    # counted before the password is checked; a failure stays counted (see dashboards.limits)
    attempt = limits.sign_in(request, account=f"member:{(form.username or '').strip().lower()}", spanish=True)
    account = members.authenticate_member(session=db, email=form.username, password=form.password)
    settings = get_settings()
    claims = {"sub": f"member:{account.id}", "kind": "member",
              "exp": utcnow() + timedelta(minutes=settings.token_minutes)}
    answer = MemberToken(access_token=jwt.encode(claims, settings.signing_key, algorithm="HS256"))
    db.rollback()  # it wrote nothing: end its transaction before the limiter's own
    attempt.succeeded()
    return answer


def current_member(db: DbSession, token: Annotated[str | None, Depends(member_oauth)]) -> members.MemberAccount:
    try:
        claims = jwt.decode(token or "", get_settings().signing_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise NotAuthenticated("Sign in first. Fix: POST /api/members/token with your e-mail and password. / "
                               "Inicie sesión primero.") from None
    if claims.get("kind") != "member":
        raise NotAuthenticated("This is not a member sign-in. Fix: sign in as a member. / Inicie sesión como "
                               "socio.")
    account = db.get(members.MemberAccount, int(claims["sub"].split(":")[1]))
    if account is None or not account.active:
        raise NotAuthenticated("This account is not active. Fix: open the activation link we e-mailed you. / Esta "
                               "cuenta no está activa. Abra el enlace de activación que le enviamos.")
    return account


Member = Annotated[members.MemberAccount, Depends(current_member)]


class Alerts(BaseModel):
    outage: bool = Field(description="an outage is known")
    etr: bool = Field(description="the estimated restoration time changed")
    restored: bool = Field(description="power is restored")
    planned: bool = Field(description="a planned outage is ahead")


class MyReport(BaseModel):
    id: int
    status: str
    created_at: datetime


class MyServicePoint(BaseModel):
    account_number: str
    meter_number: str
    status: str  # on | out | possibly_out
    etr_at: datetime | None
    cause: str | None
    out_since: datetime | None
    report: MyReport | None  # the latest outage report from this service point
    alerts: Alerts


class MeOut(BaseModel):
    email: str
    language: str
    service_points: list[MyServicePoint]


def _point(db, sp, net, kinds: dict[str, bool]) -> MyServicePoint:
    """One of the member's service points with its power state (:func:`outages.affected.point_state`): out
    while an open record keeps it dark (cause, out since and ETR from those records), possibly out while a
    record above it has members nobody has located, else on."""
    state = point_state(db, sp.id, net=net)
    report = db.scalar(select(OutageReport).where(OutageReport.service_point_id == sp.id)
                       .order_by(OutageReport.id.desc()).limit(1))
    return MyServicePoint(
        account_number=sp.account_number, meter_number=sp.meter_number, status=state.status,
        etr_at=state.etr_at, cause=state.cause, out_since=state.out_since,
        alerts=Alerts(**kinds),
        report=MyReport(id=report.id, status=report.status, created_at=report.created_at) if report else None)


@router.get("/api/members/me", response_model=MeOut, summary="My account and the status of my service points")
def me(db: DbSession, account: Member) -> MeOut:
    net, kinds = network(db), alerts.alert_kinds(session=db, account=account)
    return MeOut(email=account.email, language=account.language, service_points=[
        _point(db, sp, net, kinds[sp.id]) for sp in members.service_points_of(session=db, account_id=account.id)])


class LanguageIn(BaseModel):
    language: str


@router.patch("/api/members/me", response_model=MeOut, summary="Change my preferred language (en or es)")
def set_language(db: DbSession, account: Member, data: LanguageIn) -> MeOut:
    alerts.set_language(session=db, account=account, language=data.language)
    db.commit()
    return me(db, account)


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


@router.put("/api/members/me/service-points/{meter_number}/alerts", response_model=MyServicePoint,
            summary="Choose the alerts one of my service points gives")
def set_alerts(db: DbSession, account: Member, meter_number: str, data: Alerts) -> MyServicePoint:
    alerts.set_alert_kinds(session=db, account=account, meter_number=meter_number, kinds=data.model_dump())
    db.commit()
    return next(p for p in me(db, account).service_points if p.meter_number == meter_number.strip())


class RecipientIn(BaseModel):
    channel: str = Field(description="email or sms (a text message)")
    address: str = Field(description="an e-mail address, or a mobile number like 512-555-0142")
    language: str = "en"


class RecipientOut(BaseModel):
    id: int
    channel: str
    address: str
    language: str
    status: str  # pending (not confirmed yet) | confirmed | unsubscribed
    owner: bool  # the account's own e-mail


def _recipient(r) -> RecipientOut:
    return RecipientOut(id=r.id, channel=r.channel, address=r.address, language=r.language,
                        status=alerts.recipient_status(r), owner=r.owner)


@router.get("/api/members/me/alert-recipients", response_model=list[RecipientOut],
            summary="Who receives my alerts")
def recipients(db: DbSession, account: Member) -> list[RecipientOut]:
    return [_recipient(r) for r in alerts.recipients_of(session=db, account=account)]


def _confirmation(recipient_id: int, token: str, sessions, base: str) -> None:
    with sessions() as db:
        recipient = db.get(members.AlertRecipient, recipient_id)
        try:
            send_confirmation(recipient, token, coop=get_settings().cooperative_name, public_url=base,
                              smtp=get_smtp_settings(), sms=get_sms_settings())
        except Exception:  # noqa: BLE001 - the member can add the recipient again; nothing to tell the caller
            pass


@router.post("/api/members/me/alert-recipients", response_model=RecipientOut, status_code=201,
             summary="Add someone else who receives my alerts (they confirm first)")
def add_recipient(db: DbSession, request: Request, account: Member, data: RecipientIn,
                  tasks: BackgroundTasks) -> RecipientOut:
    if data.channel == "sms" and not get_sms_settings().available:
        raise InvalidInput("Text alerts are not available at this cooperative yet. Fix: choose e-mail. / Los "
                           "mensajes de texto aún no están disponibles. Elija correo.",
                           field="channel")
    recipient, token = alerts.add_recipient(session=db, account=account, channel=data.channel,
                                            address=data.address, language=data.language)
    db.commit()
    tasks.add_task(_confirmation, recipient.id, token, request.app.state.sessions, _base())
    return _recipient(recipient)


@router.delete("/api/members/me/alert-recipients/{recipient_id}", status_code=204,
               summary="Stop sending my alerts to someone")
def remove_recipient(db: DbSession, account: Member, recipient_id: DbId) -> Response:
    alerts.remove_recipient(session=db, account=account, recipient_id=recipient_id)
    db.commit()
    return Response(status_code=204)


class ConfirmOut(BaseModel):
    status: str
    detail: str


@router.post("/api/members/alerts/confirm", response_model=ConfirmOut,
             summary="An extra recipient confirms with the link's token (twice is fine)")
def confirm_recipient(db: DbSession, data: TokenIn) -> ConfirmOut:
    status = alerts.confirm_recipient(session=db, token=data.token)
    db.commit()
    words = {"confirmed": "You will receive outage alerts from now on. / Recibirá alertas de apagones.",
             "already_confirmed": "You had already confirmed. / Ya había confirmado."}
    return ConfirmOut(status=status, detail=words[status])


@router.post("/api/members/alerts/unsubscribe", response_model=Answer,
             summary="Stop all alerts to the address a message went to (the key in its link)")
def unsubscribe(db: DbSession, key: str) -> Answer:
    alerts.unsubscribe(session=db, key=key)
    db.commit()
    return Answer(detail="You will receive no more outage alerts at this address. / No recibirá más alertas de "
                         "apagones en esta dirección.")


class ReportAck(BaseModel):
    id: int
    status: str
    detail: str


def _report(db, sp, account_id: int | None, response: Response) -> ReportAck:
    """Record the report — attached at once to the open record that already covers the service point, if
    any, so a known outage never shows up again as a probable one — and acknowledge it."""
    state = point_state(db, sp.id)
    report, created = report_outage(session=db, service_point=sp, account_id=account_id,
                                    known=state.records[0] if state.status == "out" else None)
    db.commit()
    response.status_code = 201 if created else 200
    if report.status == "confirmed":
        detail = ("We already know about the outage at this meter and crews are on it; your page shows the "
                  "estimated restoration. / Ya sabemos del apagón en este medidor y estamos trabajando en él.")
    elif created:
        detail = ("Thank you: your report is recorded and the control room can see it. / Gracias: su reporte "
                  "quedó registrado.")
    else:
        detail = "We already have your report for this meter. / Ya tenemos su reporte para este medidor."
    return ReportAck(id=report.id, status=report.status, detail=detail)


ALREADY_REPORTED = {200: {"model": ReportAck, "description": "This meter's open report, made before"}}


class MyReportIn(BaseModel):
    meter_number: str


@router.post("/api/members/me/outage-reports", response_model=ReportAck, status_code=201,
             summary="Report an outage at one of my service points (two taps)", responses=ALREADY_REPORTED)
def report_mine(db: DbSession, account: Member, data: MyReportIn, response: Response) -> ReportAck:
    sp = next((p for p in members.service_points_of(session=db, account_id=account.id)
               if p.meter_number == data.meter_number.strip()), None)
    if sp is None:
        raise InvalidInput("That meter is not one of yours. Fix: choose one of your service points. / Ese medidor no "
                           "es suyo. Elija uno de sus medidores.",
                           field="meter_number")
    return _report(db, sp, account.id, response)


class AnonymousReportIn(BaseModel):
    account_number: str
    meter_number: str | None = Field(None, description="from the bill; or give phone instead")
    phone: str | None = Field(None, description="a mobile number confirmed for this account's text alerts")


@router.post("/api/members/outage-reports", response_model=ReportAck, status_code=201,
             summary="Report an outage without signing in (account number with the meter or phone number)",
             responses={**limits.LIMITED, **ALREADY_REPORTED})
def report_anonymous(db: DbSession, request: Request, data: AnonymousReportIn, response: Response) -> ReportAck:
    limits.check(request, "report")
    if data.meter_number:
        sp = members.service_point_by_bill(db, data.account_number, data.meter_number)
    elif data.phone:
        sp = alerts.service_point_by_phone(db, data.account_number, data.phone)
    else:
        raise InvalidInput("Give the meter number from your bill, or the mobile number you get text alerts on. / "
                           "Escriba el número de medidor de su factura, o el celular donde recibe alertas.",
                           field="meter_number")
    return _report(db, sp, None, response)
