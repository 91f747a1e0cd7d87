"""Members' outage alerts (issue 7): the dispatcher's actions leave events; the alert worker queues one
delivery per event and recipient and sends it — e-mail to a real SMTP server (aiosmtpd on 127.0.0.1),
texts to a stub HTTP gateway on 127.0.0.1 — in each recipient's language, with an unsubscribe link."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dashboards.routes import members as member_routes
from outages.alerts import AlertDelivery, AlertEvent, when
from outages.members.models import AlertRecipient, MemberAccount
from reports.member_alerts import SmsSettings, queue_alerts
from tests.factories import ANA, BO, CY, DI
from tests.helpers import COOP, active_member, body, deliver, log_outage, now, to


class Gateway(BaseHTTPRequestHandler):
    """A stub SMS gateway: records each POSTed JSON body and its headers."""

    received: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(
            {"body": body, "key": self.headers.get("Idempotency-Key"), "auth": self.headers.get("Authorization")}
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def gateway(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("G", (Gateway,), {"received": []}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = SmsSettings(
        gateway="webhook", webhook_url=f"http://127.0.0.1:{server.server_port}/send", webhook_token="gateway-secret"
    )
    monkeypatch.setattr(member_routes, "get_sms_settings", lambda: settings)
    monkeypatch.setattr("reports.member_alerts.get_sms_settings", lambda: settings)
    server.settings, server.received = settings, server.RequestHandlerClass.received
    yield server
    server.shutdown()


def test_outage_etr_and_restoration_reach_each_member_once_in_their_language(api, mail, sessions):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    api("PATCH", "/api/members/me", as_=None, headers=ana, json={"language": "es"})
    active_member(api, mail, email="bo@example.org", point=BO)
    active_member(api, mail, email="cy@example.org", point=CY)  # on the same feeder, above the recloser
    active_member(api, mail, email="di@example.org", point=DI)  # another feeder
    mail.messages.clear()

    record = log_outage(api)
    assert deliver(sessions, mail) == {"queued": 2, "sent": 2, "failed": 0}
    assert deliver(sessions, mail) == {"queued": 0, "sent": 0, "failed": 0}  # once per event and recipient
    (ana_outage,), (bo_outage,) = to(mail, "ana@example.org"), to(mail, "bo@example.org")
    assert ana_outage["Subject"] == "Apagón en el medidor M00005000"
    assert "Causa: viento" in body(ana_outage) and "Restablecimiento estimado: en evaluación" in body(ana_outage)
    assert bo_outage["Subject"] == "Power outage at meter M00009500"
    assert "Cause: wind" in body(bo_outage) and "You do not need to report it" in body(bo_outage)
    assert to(mail, "cy@example.org") == [] and to(mail, "di@example.org") == []  # never anyone else's

    etr = now() + timedelta(hours=3)
    assert (
        api(
            "PUT",
            f"/api/interruptions/{record['id']}/etr",
            json={"version": record["version"], "etr_at": etr.isoformat()},
        ).status_code
        == 200
    )
    deliver(sessions, mail)
    ana_etr = to(mail, "ana@example.org")[-1]
    assert ana_etr["Subject"] == "Nueva hora estimada para el medidor M00005000"
    assert f"{etr.astimezone(ZoneInfo('America/Chicago')):%H:%M}" in body(ana_etr)  # the cooperative's clock

    current = api("GET", f"/api/interruptions/{record['id']}").json()
    assert (
        api(
            "POST",
            f"/api/interruptions/{record['id']}/close",
            json={"version": current["version"], "restored_at": now().isoformat()},
        ).status_code
        == 200
    )
    deliver(sessions, mail)
    deliver(sessions, mail)
    subjects = {m["To"]: [x["Subject"] for x in to(mail, m["To"])] for m in mail.messages}
    assert subjects == {
        "ana@example.org": [
            "Apagón en el medidor M00005000",
            "Nueva hora estimada para el medidor M00005000",
            "Servicio restablecido en el medidor M00005000",
        ],
        "bo@example.org": [
            "Power outage at meter M00009500",
            "New restoration estimate for meter M00009500",
            "Power restored at meter M00009500",
        ],
    }
    for message in mail.messages:  # every message carries its recipient's unsubscribe link, also as a header
        key = re.search(r"/members/unsubscribe\?key=([\w-]+)", body(message)).group(1)
        assert key in message["List-Unsubscribe"]


def test_choices_unsubscribe_and_one_click(api, mail, sessions, session):
    bo = active_member(api, mail, email="bo@example.org", point=BO)
    chosen = api(
        "PUT",
        "/api/members/me/service-points/M00009500/alerts",
        as_=None,
        headers=bo,
        json={"outage": True, "etr": False, "restored": True, "planned": True},
    )
    assert chosen.status_code == 200 and chosen.json()["alerts"]["etr"] is False
    assert (
        api(
            "PUT",
            "/api/members/me/service-points/M00005000/alerts",
            as_=None,
            headers=bo,  # not theirs
            json={"outage": False, "etr": False, "restored": False, "planned": False},
        ).status_code
        == 404
    )
    mail.messages.clear()
    record = log_outage(api)
    api(
        "PUT",
        f"/api/interruptions/{record['id']}/etr",
        json={"version": record["version"], "etr_at": (now() + timedelta(hours=2)).isoformat()},
    )
    deliver(sessions, mail)
    assert [m["Subject"] for m in mail.messages] == ["Power outage at meter M00009500"]  # no ETR alert
    key = re.search(r"key=([\w-]+)", body(mail.messages[0])).group(1)
    one_click = api(
        "POST",
        f"/api/members/alerts/unsubscribe?key={key}",
        as_=None,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # RFC 8058, as mail clients do
    assert one_click.status_code == 200 and "no more" in one_click.json()["detail"]
    assert api("POST", f"/api/members/alerts/unsubscribe?key={key}", as_=None).status_code == 200  # idempotent
    assert api("POST", "/api/members/alerts/unsubscribe?key=forged", as_=None).status_code == 422
    recipients = api("GET", "/api/members/me/alert-recipients", as_=None, headers=bo).json()
    assert [(r["address"], r["status"], r["owner"]) for r in recipients] == [("bo@example.org", "unsubscribed", True)]
    current = api("GET", f"/api/interruptions/{record['id']}").json()
    api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": current["version"], "restored_at": now().isoformat()},
    )
    deliver(sessions, mail)
    assert len(mail.messages) == 1


def test_planned_outage_ahead(api, mail, sessions):
    active_member(api, mail, email="bo@example.org", point=BO)
    mail.messages.clear()
    start = now() + timedelta(days=2)
    record = log_outage(
        api,
        cause="planned",
        scheduled=True,
        members_notified=True,
        start_at=start.isoformat(),
        etr_at=(start + timedelta(hours=4)).isoformat(),
    )
    deliver(sessions, mail)
    (planned,) = mail.messages
    assert planned["Subject"] == "Planned outage ahead at meter M00009500"
    assert "expected back by" in body(planned)
    later = start + timedelta(days=1)  # the work moves a day, its ETR with it: members hear the new times, once
    moved = api(
        "PATCH",
        f"/api/interruptions/{record['id']}",
        json={"version": record["version"], "start_at": later.isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["etr_at"]) == later + timedelta(hours=4)
    api(
        "PATCH",
        f"/api/interruptions/{record['id']}",
        json={"version": moved.json()["version"], "notes": "crew of four"},
    )  # no new time: no alert
    deliver(sessions, mail)
    assert len(mail.messages) == 2
    assert when(later.isoformat(), "en", ZoneInfo("America/Chicago")) in body(mail.messages[-1])


def test_extra_recipients_confirm_first_and_texts_reach_the_http_gateway(api, mail, sessions, gateway):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    added = api(
        "POST",
        "/api/members/me/alert-recipients",
        as_=None,
        headers=ana,
        json={"channel": "sms", "address": "(512) 555-0142", "language": "es"},
    )
    assert added.status_code == 201, added.text
    assert (added.json()["address"], added.json()["status"]) == ("+15125550142", "pending")
    helper = api(
        "POST",
        "/api/members/me/alert-recipients",
        as_=None,
        headers=ana,
        json={"channel": "email", "address": "Neighbour@Example.org", "language": "en"},
    )
    assert helper.json()["status"] == "pending"
    (confirm_text,) = gateway.received
    assert confirm_text["body"]["to"] == "+15125550142" and confirm_text["auth"] == "Bearer gateway-secret"
    assert "abra" in confirm_text["body"]["text"]  # in the recipient's own language
    assert to(mail, "neighbour@example.org")[0]["Subject"] == "Confirm outage alerts"

    record = log_outage(api)
    deliver(sessions, mail, gateway.settings)
    assert len(gateway.received) == 1 and len(to(mail, "neighbour@example.org")) == 1  # nothing before confirming
    token = re.search(r"token=([\w-]+)", confirm_text["body"]["text"]).group(1)
    first = api("POST", "/api/members/alerts/confirm", as_=None, json={"token": token})
    again = api("POST", "/api/members/alerts/confirm", as_=None, json={"token": token})
    assert (first.json()["status"], again.json()["status"]) == ("confirmed", "already_confirmed")

    api(
        "PUT",
        f"/api/interruptions/{record['id']}/etr",
        json={"version": record["version"], "etr_at": (now() + timedelta(hours=2)).isoformat()},
    )
    assert deliver(sessions, mail, gateway.settings)["sent"] == 2  # ana's e-mail and the confirmed phone
    text = gateway.received[-1]
    assert text["body"]["to"] == "+15125550142" and text["key"] == text["body"]["id"]
    assert text["body"]["text"].startswith(f"{COOP}: La hora estimada de restablecimiento")
    assert "/members/unsubscribe?key=" in text["body"]["text"]
    assert len(to(mail, "neighbour@example.org")) == 1  # still unconfirmed: still nothing

    # the confirmed phone also lets a member who is not signed in report with account and phone numbers
    by_phone = api(
        "POST",
        "/api/members/outage-reports",
        as_=None,
        json={"account_number": ANA["account_number"], "phone": "512-555-0142"},
    )
    assert by_phone.status_code == 201, by_phone.text
    unknown = api(
        "POST",
        "/api/members/outage-reports",
        as_=None,
        json={"account_number": ANA["account_number"], "phone": "512-555-0199"},
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "phone"


def test_recipient_and_language_input_is_checked(api, mail, session):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    bo = active_member(api, mail, email="bo@example.org", point=BO)
    count = session.scalar(select(func.count()).select_from(AlertRecipient))
    cases = [
        ({"channel": "sms", "address": "512-555-0142", "language": "en"}, "channel"),  # no gateway here
        ({"channel": "email", "address": "not-an-email", "language": "en"}, "address"),
        ({"channel": "pigeon", "address": "x@example.org", "language": "en"}, "channel"),
        ({"channel": "email", "address": "x@example.org", "language": "fr"}, "language"),
        ({"channel": "email", "address": "ana@example.org", "language": "en"}, "address"),
    ]  # her own
    for payload, field in cases:
        refused = api("POST", "/api/members/me/alert-recipients", as_=None, headers=ana, json=payload)
        assert refused.status_code == 422 and refused.json()["field"] == field, (payload, refused.text)
    assert session.scalar(select(func.count()).select_from(AlertRecipient)) == count  # nothing half-made
    own = api("GET", "/api/members/me/alert-recipients", as_=None, headers=ana).json()[0]
    assert api("DELETE", f"/api/members/me/alert-recipients/{own['id']}", as_=None, headers=ana).status_code == 422
    assert api("DELETE", f"/api/members/me/alert-recipients/{own['id']}", as_=None, headers=bo).status_code == 404
    assert api("PATCH", "/api/members/me", as_=None, headers=ana, json={"language": "de"}).status_code == 422
    assert api("GET", "/api/members/me/alert-recipients", as_=None).status_code == 401


def test_each_event_is_queued_once_and_the_database_refuses_a_second_delivery(api, mail, sessions, session):
    active_member(api, mail, email="bo@example.org", point=BO)
    log_outage(api)
    assert queue_alerts(sessions, now=now()) == 1
    assert queue_alerts(sessions, now=now()) == 0
    event = session.scalar(select(AlertEvent).where(AlertEvent.kind == "outage"))
    first = session.scalar(select(AlertDelivery).where(AlertDelivery.event_id == event.id))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            AlertDelivery(event_id=event.id, recipient_id=first.recipient_id, service_point_id=first.service_point_id)
        )
        session.flush()


def test_two_workers_racing_send_each_alert_once(engine, inbox):
    """Real concurrency on the real database: two alert workers run at the same moment on 300 subscribers."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    from gis.models import ServicePoint
    from outages.members.models import MemberServicePoint
    from outages.schemas import InterruptionCreate
    from outages.service import create_interruption

    with sessions() as session, session.begin():
        points = session.scalars(
            select(ServicePoint).where(ServicePoint.meter_number.between("M00009001", "M00009300"))
        ).all()
        for sp in points:
            account = MemberAccount(email=f"m{sp.id}@example.org", password_hash="-", active=True)
            session.add(account)
            session.flush()
            session.add_all(
                [
                    MemberServicePoint(account_id=account.id, service_point_id=sp.id),
                    AlertRecipient(
                        account_id=account.id, channel="email", address=account.email, owner=True, confirmed_at=now()
                    ),
                ]
            )
        record, _ = create_interruption(
            session=session,
            actor="dispatcher",
            data=InterruptionCreate(
                feeder="JC-014",
                device="JC-014-F1",
                cause="wind",
                members_out=1_000,
                start_at=now() - timedelta(minutes=5),
            ),
        )
        record_id = record.id
    barrier, results = threading.Barrier(2), []

    def worker():
        barrier.wait()
        results.append(deliver(sessions, inbox))

    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sum(r["queued"] for r in results) == 300 and sum(r["sent"] for r in results) == 300
        assert len(inbox.messages) == len({m["To"] for m in inbox.messages}) == 300
    finally:
        from outages.models import AuditEntry, Incident, Interruption

        with Session(engine) as session, session.begin():
            session.execute(delete(AlertEvent).where(AlertEvent.interruption_id == record_id))
            session.execute(delete(MemberAccount).where(MemberAccount.email.like("m%@example.org")))
            incident_id = session.get(Interruption, record_id).incident_id
            session.execute(
                delete(AuditEntry).where(AuditEntry.entity == "interruption", AuditEntry.entity_id == record_id)
            )
            session.execute(delete(Interruption).where(Interruption.id == record_id))
            session.execute(delete(Incident).where(Incident.id == incident_id))


def test_a_voided_outage_is_corrected_to_exactly_those_told(api, mail, sessions, session):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    api("PATCH", "/api/members/me", as_=None, headers=ana, json={"language": "es"})
    active_member(api, mail, email="bo@example.org", point=BO)
    mail.messages.clear()
    told = log_outage(api)
    deliver(sessions, mail)  # both hear of it
    assert (
        api(
            "POST",
            f"/api/interruptions/{told['id']}/void",
            json={"version": told["version"], "reason": "logged on the wrong feeder"},
        ).status_code
        == 200
    )
    deliver(sessions, mail)
    assert [m["Subject"] for m in to(mail, "ana@example.org")] == [
        "Apagón en el medidor M00005000",
        "Corrección para el medidor M00005000",
    ]
    assert to(mail, "bo@example.org")[-1]["Subject"] == "Correction for meter M00009500"
    assert "logged in error or called off" in body(to(mail, "bo@example.org")[-1])

    mail.messages.clear()  # voided before the alert worker ran: nobody was told, so nobody is corrected
    quick = log_outage(api)
    assert (
        api(
            "POST",
            f"/api/interruptions/{quick['id']}/void",
            json={"version": quick["version"], "reason": "a duplicate of another record"},
        ).status_code
        == 200
    )
    result = deliver(sessions, mail)
    assert result["sent"] == 0 and mail.messages == []
    statuses = session.scalars(
        select(AlertDelivery.status)
        .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
        .where(AlertEvent.interruption_id == quick["id"])
    ).all()
    assert statuses and set(statuses) == {"cancelled"}
