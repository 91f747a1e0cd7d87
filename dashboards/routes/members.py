"""Member accounts under /api/members: register, activate, sign in, reset, own service points and their
status, outage reports, alert choices and recipients (confirm, unsubscribe), and updates without an account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from dashboards import limits, tokens
from dashboards.deps import ReadSession, WriteSession
from dashboards.settings import get_settings
from gis.ids import DbId
from outages import alerts
from outages.members import service
from outages.members.models import MemberAccount
from outages.members.schemas import (
    AlertsIn,
    AnonymousReportIn,
    Answer,
    EmailIn,
    LanguageIn,
    LinkOutcome,
    MemberToken,
    MeOut,
    MyReportIn,
    MyServicePoint,
    RecipientIn,
    RecipientOut,
    RegisterIn,
    ReportAck,
    ResetIn,
    ServicePointIn,
    TokenIn,
    UpdatesIn,
    UpdatesOut,
)
from outages.members.service import SAME_ANSWER
from reports.delivery import get_smtp_settings
from reports.member_alerts import SmsSettings, get_sms_settings
from reports.member_mail import send_account_mail, send_recipient_confirmation

router = APIRouter(tags=["members"])
member_oauth = OAuth2PasswordBearer(tokenUrl="/api/members/token", auto_error=False, scheme_name="MemberToken")


def _mail(tasks: BackgroundTasks, mail: service.Outgoing | None) -> None:
    """Send the account e-mail after the answer.  Its links lead to the configured public address, never the
    request's Host header (a forged Host would otherwise mail a member a reset link to an attacker's site)."""
    tasks.add_task(send_account_mail, mail, public_url=get_settings().public_base, smtp=get_smtp_settings())


@router.post(
    "/api/members/register",
    response_model=Answer,
    status_code=202,
    summary="Register (e-mail link)",
    responses=limits.LIMITED,
)
def register(db: WriteSession, request: Request, data: RegisterIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "registration")
    _mail(
        tasks,
        service.register(
            session=db,
            email=data.email,
            password=data.password,
            language=data.language,
            account_number=data.account_number,
            meter_number=data.meter_number,
        ),
    )
    return Answer(detail=SAME_ANSWER)


@router.post(
    "/api/members/activate",
    response_model=LinkOutcome,
    summary="Activate with the e-mailed link's token (twice is fine)",
)
def activate(db: WriteSession, data: TokenIn) -> LinkOutcome:
    return service.activate(session=db, token=data.token)


@router.post(
    "/api/members/resend-activation",
    response_model=Answer,
    status_code=202,
    summary="Send a new activation link",
    responses=limits.LIMITED,
)
def resend(db: WriteSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "registration")
    _mail(tasks, service.resend_activation(session=db, email=data.email))
    return Answer(detail=SAME_ANSWER)


@router.post(
    "/api/members/password-reset",
    response_model=Answer,
    status_code=202,
    summary="Ask for a password-reset link",
    responses=limits.LIMITED,
)
def password_reset(db: WriteSession, request: Request, data: EmailIn, tasks: BackgroundTasks) -> Answer:
    limits.check(request, "reset")
    _mail(tasks, service.request_reset(session=db, email=data.email))
    return Answer(detail=SAME_ANSWER)


@router.post("/api/members/password-reset/confirm", response_model=Answer, summary="Set a new password")
def password_reset_confirm(db: WriteSession, data: ResetIn) -> Answer:
    return service.reset_password(session=db, token=data.token, password=data.password)


@router.post(
    "/api/members/token",
    response_model=MemberToken,
    summary="Member sign-in (e-mail and password)",
    responses={**limits.LIMITED, 401: {"description": "Wrong e-mail or password, or not activated yet"}},
)
def token(db: ReadSession, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> MemberToken:
    # only reads (no write lock while Argon2 checks the password); the attempt is counted before the check, in the
    # limiter's own transaction, and a failure stays counted (see dashboards.limits)
    attempt = limits.sign_in(request, account=f"member:{(form.username or '').strip().lower()}", spanish=True)
    account = service.authenticate_member(session=db, email=form.username, password=form.password)
    answer = MemberToken(access_token=tokens.issue(tokens.MEMBER, f"member:{account.id}"))
    db.rollback()  # the read is over: end it before the limiter's own transaction
    attempt.succeeded()
    return answer


def _member_id(token: Annotated[str | None, Depends(member_oauth)]) -> int:
    return int(tokens.subject_of(tokens.MEMBER, token or "").split(":")[1])


def reading_member(db: ReadSession, account_id: Annotated[int, Depends(_member_id)]) -> MemberAccount:
    """The signed-in member, in a route's read-only session."""
    return service.signed_in_member(session=db, account_id=account_id)


def writing_member(db: WriteSession, account_id: Annotated[int, Depends(_member_id)]) -> MemberAccount:
    """The signed-in member, in a route's writing session (the one its changes are made in)."""
    return service.signed_in_member(session=db, account_id=account_id)


ReadingMember = Annotated[MemberAccount, Depends(reading_member)]
WritingMember = Annotated[MemberAccount, Depends(writing_member)]


@router.get("/api/members/me", response_model=MeOut, summary="My account and the status of my service points")
def me(db: ReadSession, account: ReadingMember) -> MeOut:
    return service.overview(session=db, account=account)


@router.patch("/api/members/me", response_model=MeOut, summary="Change my preferred language (en or es)")
def set_language(db: WriteSession, account: WritingMember, data: LanguageIn) -> MeOut:
    alerts.set_language(session=db, account=account, language=data.language)
    return service.overview(session=db, account=account)


@router.post(
    "/api/members/me/service-points",
    response_model=MeOut,
    status_code=201,
    summary="Add another of my service points (account and meter number)",
)
def add_point(db: WriteSession, account: WritingMember, data: ServicePointIn) -> MeOut:
    service.add_service_point(
        session=db, account=account, account_number=data.account_number, meter_number=data.meter_number
    )
    return service.overview(session=db, account=account)


@router.put(
    "/api/members/me/service-points/{meter_number}/alerts",
    response_model=MyServicePoint,
    summary="Choose the alerts one of my service points gives",
)
def set_alerts(db: WriteSession, account: WritingMember, meter_number: str, data: AlertsIn) -> MyServicePoint:
    alerts.set_alert_kinds(session=db, account=account, meter_number=meter_number, kinds=data.model_dump())
    return service.point_overview(session=db, account=account, meter_number=meter_number)


@router.get("/api/members/me/alert-recipients", response_model=list[RecipientOut], summary="Who receives my alerts")
def recipients(db: ReadSession, account: ReadingMember) -> list[RecipientOut]:
    return service.recipients(session=db, account=account)


def _confirm(tasks: BackgroundTasks, request: Request, recipient_id: int, token: str, sms: SmsSettings) -> None:
    """After the answer: send a new recipient (an account's extra one, or updates without an account) the link
    to confirm, by e-mail or text."""
    settings = get_settings()
    tasks.add_task(
        send_recipient_confirmation,
        request.app.state.readers,
        recipient_id=recipient_id,
        token=token,
        coop=settings.cooperative_name,
        public_url=settings.public_base,
        smtp=get_smtp_settings(),
        sms=sms,
    )


@router.post(
    "/api/members/me/alert-recipients",
    response_model=RecipientOut,
    status_code=201,
    summary="Add someone else who receives my alerts (they confirm first)",
)
def add_recipient(
    db: WriteSession, request: Request, account: WritingMember, data: RecipientIn, tasks: BackgroundTasks
) -> RecipientOut:
    sms = get_sms_settings()
    recipient, link_token = service.add_recipient(
        session=db,
        account=account,
        channel=data.channel,
        address=data.address,
        language=data.language,
        texts_available=sms.available,
    )
    _confirm(tasks, request, recipient.id, link_token, sms)
    return recipient


@router.delete(
    "/api/members/me/alert-recipients/{recipient_id}", status_code=204, summary="Stop sending my alerts to someone"
)
def remove_recipient(db: WriteSession, account: WritingMember, recipient_id: DbId) -> Response:
    alerts.remove_recipient(session=db, account=account, recipient_id=recipient_id)
    return Response(status_code=204)


@router.post(
    "/api/members/alerts/confirm",
    response_model=LinkOutcome,
    summary="An extra recipient confirms with the link's token (twice is fine)",
)
def confirm_recipient(db: WriteSession, data: TokenIn) -> LinkOutcome:
    return service.confirm_recipient(session=db, token=data.token)


@router.post(
    "/api/members/alerts/unsubscribe",
    response_model=Answer,
    summary="Stop all alerts to the address a message went to (the key in its link)",
)
def unsubscribe(db: WriteSession, key: str) -> Answer:
    return service.unsubscribe(session=db, key=key)


ALREADY_REPORTED: dict[int | str, dict[str, Any]] = {
    200: {"model": ReportAck, "description": "This meter's open report, made before"}
}


@router.post(
    "/api/members/me/outage-reports",
    response_model=ReportAck,
    status_code=201,
    summary="Report an outage at one of my service points (two taps), and any danger seen",
    responses=ALREADY_REPORTED,
)
def report_mine(db: WriteSession, account: WritingMember, data: MyReportIn, response: Response) -> ReportAck:
    ack, created = service.report_mine(
        session=db,
        account=account,
        meter_number=data.meter_number,
        hazard=data.hazard,
        partial_power=data.partial_power,
    )
    response.status_code = 201 if created else 200
    return ack


@router.post(
    "/api/members/outage-reports",
    response_model=ReportAck,
    status_code=201,
    summary="Report an outage without signing in (account number with the meter or phone number), and any danger",
    responses={**limits.LIMITED, **ALREADY_REPORTED},
)
def report_anonymous(db: WriteSession, request: Request, data: AnonymousReportIn, response: Response) -> ReportAck:
    limits.check(request, "report")
    ack, created = service.report_anonymous(
        session=db,
        account_number=data.account_number,
        meter_number=data.meter_number,
        phone=data.phone,
        hazard=data.hazard,
        partial_power=data.partial_power,
    )
    response.status_code = 201 if created else 200
    return ack


@router.post(
    "/api/members/updates",
    response_model=UpdatesOut,
    status_code=202,
    summary="Get one service point's outage updates without an account (the report's proof; confirmed first)",
    responses=limits.LIMITED,
)
def ask_for_updates(db: WriteSession, request: Request, data: UpdatesIn, tasks: BackgroundTasks) -> UpdatesOut:
    limits.check(request, "report")  # counted with the reports without signing in, which it follows
    sms = get_sms_settings()
    answer, recipient_id, link_token = service.ask_for_updates(
        session=db,
        account_number=data.account_number,
        meter_number=data.meter_number,
        phone=data.phone,
        channel=data.channel,
        address=data.address,
        language=data.language,
        texts_available=sms.available,
    )
    _confirm(tasks, request, recipient_id, link_token, sms)
    return answer
