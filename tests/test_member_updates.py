"""After a report, what is known, and updates without an account (issue 15): a report answers whether the
outage is known, its status (D17), the ETR or "being assessed" and since when, in both languages; a member who
is not signed in asks for that service point's updates with the report's proof, confirms the address from a
real SMTP server's inbox (aiosmtpd on 127.0.0.1), receives that outage's alerts through the alert worker, and
stops them with the one-step link.  A report may also say "partial power"."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboards.routes import members as member_routes
from outages.alerts import AlertDelivery
from outages.member_reports import OutageReport
from outages.members.models import AlertRecipient
from reports.member_alerts import SmsSettings
from tests.factories import ANA, BO, DI, sp
from tests.helpers import body, deliver, log_outage, now, to

CHICAGO = ZoneInfo("America/Chicago")
ABOVE_R1 = sp(1_800)  # JC-014 above recloser R1: stays on when R1 opens


def _report(api, point: dict, **more):
    return api("POST", "/api/members/outage-reports", as_=None, json={**point, **more})


def _updates(api, point: dict, address="neighbour@example.org", channel="email", language="en", **more):
    return api(
        "POST",
        "/api/members/updates",
        as_=None,
        json={**point, "channel": channel, "address": address, "language": language, **more},
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _link(message, path: str) -> str:
    return re.search(rf"{re.escape(path)}\?(?:token|key)=([\w-]+)", body(message)).group(1)


def _set_etr(api, record: dict, etr):
    current = api("GET", f"/api/interruptions/{record['id']}").json()
    moved = api(
        "PUT", f"/api/interruptions/{record['id']}/etr", json={"version": current["version"], "etr_at": etr.isoformat()}
    )
    assert moved.status_code == 200, moved.text
    return moved.json()


def test_a_report_on_a_known_outage_answers_its_status_and_etr_in_both_languages(api, mail):
    etr = now() + timedelta(hours=3)
    record = log_outage(api, etr_at=etr.isoformat())
    answer = _report(api, ANA)  # below R1: known
    assert answer.status_code == 201, answer.text
    ack = answer.json()
    local = etr.astimezone(CHICAGO)
    zone = local.tzname()
    assert zone in ("CST", "CDT")
    assert (ack["known"], ack["status"], ack["outage_status"]) == (True, "confirmed", "reported")
    assert ack["status_words"] == "Reported / Reportado"
    assert ack["etr"].split(" / ")[0].endswith(f"{local.hour % 12 or 12}:{local:%M %p} {zone}")
    assert ack["etr"].split(" / ")[1].endswith(f"{local:%H:%M} {zone}")  # CST/CDT in Spanish too
    assert ack["etr_at"].startswith(etr.strftime("%Y-%m-%dT%H:%M"))
    assert ack["out_since"].startswith(record["start_at"][:16])
    english, spanish = ack["detail"].split(" / ")
    assert english.startswith("We already know about this outage. Status: Reported. Estimated restoration: ")
    assert spanish.startswith("Ya sabemos de este corte. Estado: Reportado. Restablecimiento estimado: ")

    # a crew assigned: the status says so
    crew = api("POST", "/api/crews", json={"name": "Line 7", "kind": "line", "on_shift": True}).json()
    assert api("POST", f"/api/interruptions/{record['id']}/crews", json={"crew_id": crew["id"]}).status_code == 201
    ack = _report(api, ANA).json()
    assert (ack["outage_status"], ack["status_words"]) == ("crew_assigned", "Crew assigned / Cuadrilla asignada")
    assert ack["etr_at"] is not None
    # BO is also kept dark by a fuse record with no crew and no ETR: the least advanced status, "being assessed"
    log_outage(api, device="JC-014-F1", members_out=1_000)
    ack = _report(api, BO).json()
    assert (ack["known"], ack["outage_status"], ack["status_words"]) == (True, "reported", "Reported / Reportado")
    assert (ack["etr_at"], ack["etr"]) == (None, "being assessed / en evaluación")
    assert "Estimated restoration: being assessed." in ack["detail"]

    # not known: the report is new, nothing about an outage is claimed
    new = _report(api, ABOVE_R1).json()
    assert (new["known"], new["status"], new["outage_status"], new["etr"], new["out_since"]) == (
        False,
        "open",
        None,
        None,
        None,
    )
    assert new["detail"] == (
        "Thanks, your report is new: a dispatcher will look at it. / "
        "Gracias, su reporte es nuevo: un despachador lo revisará."
    )


def test_partial_power_is_kept_and_counted_in_the_probable_outage(api, mail, session):
    first = _report(api, sp(1_800), partial_power=True)
    assert first.status_code == 201 and first.json()["partial_power"] is True
    assert _report(api, sp(1_801)).json()["partial_power"] is False
    again = _report(api, sp(1_801), partial_power=True)  # said again on the open report: added to it
    assert again.status_code == 200 and again.json()["partial_power"] is True
    _report(api, sp(1_802), hazard="wire_down")
    [probable] = api("GET", "/api/probable-outages").json()
    assert (probable["feeder"], probable["reports"], probable["partial_power"], probable["hazards"]) == (
        "JC-014",
        3,
        2,
        1,
    )
    flags = session.scalars(select(OutageReport.partial_power).order_by(OutageReport.id)).all()
    assert flags == [True, True, False]
    signed = api("POST", "/api/members/outage-reports", as_=None, json={**DI, "partial_power": "sometimes"})
    assert signed.status_code == 422 and signed.json()["field"] == "partial_power"


def test_updates_without_an_account_confirm_arrive_and_stop_in_one_step(api, mail, sessions, session):
    record = log_outage(api)
    assert _report(api, ANA).json()["known"] is True
    asked = _updates(api, ANA, address="Neighbour@Example.org", language="es")
    assert asked.status_code == 202, asked.text
    assert {k: asked.json()[k] for k in ("channel", "address", "language", "status")} == {
        "channel": "email",
        "address": "neighbour@example.org",
        "language": "es",
        "status": "pending",
    }
    (confirm,) = to(mail, "neighbour@example.org")
    assert confirm["Subject"] == "Confirme las novedades del apagón"  # in the language asked for
    recipient = session.scalar(select(AlertRecipient).where(AlertRecipient.address == "neighbour@example.org"))
    assert (recipient.account_id, recipient.confirmed_at) == (None, None)

    _set_etr(api, record, now() + timedelta(hours=2))
    deliver(sessions, mail)
    assert len(to(mail, "neighbour@example.org")) == 1  # nothing before confirming

    token = _link(confirm, "/members/confirm")
    first = api("POST", "/api/members/alerts/confirm", as_=None, json={"token": token})
    assert first.json()["status"] == "confirmed"
    etr = now() + timedelta(hours=4)
    _set_etr(api, record, etr)
    assert deliver(sessions, mail)["sent"] == 1
    (update,) = to(mail, "neighbour@example.org")[1:]
    assert update["Subject"] == "Nueva hora estimada para el medidor M00005000"
    assert f"{etr.astimezone(CHICAGO):%H:%M %Z}" in body(update)
    key = _link(update, "/members/unsubscribe")
    assert key in update["List-Unsubscribe"]

    stopped = api("POST", f"/api/members/alerts/unsubscribe?key={key}", as_=None)
    assert stopped.status_code == 200
    _set_etr(api, record, now() + timedelta(hours=5))
    deliver(sessions, mail)
    assert len(to(mail, "neighbour@example.org")) == 2  # the unsubscribe link stopped the next one

    # asking again (a lost link, a change of mind) asks to confirm again: still one recipient
    again = _updates(api, ANA, address="neighbour@example.org")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert to(mail, "neighbour@example.org")[-1]["Subject"] == "Confirm outage updates"
    assert _count(session, AlertRecipient) == 1


def test_an_account_less_recipient_gets_its_own_point_s_alerts_only_once_each(api, mail, sessions, session):
    for point, address in ((ANA, "ana-neighbour@example.org"), (DI, "di-neighbour@example.org")):
        _updates(api, point, address=address)
        token = _link(to(mail, address)[-1], "/members/confirm")
        assert api("POST", "/api/members/alerts/confirm", as_=None, json={"token": token}).status_code == 200
    mail.messages.clear()
    record = log_outage(api)  # JC-014 below R1: ANA's meter, not DI's (JC-015)
    deliver(sessions, mail)
    assert [m["Subject"] for m in to(mail, "ana-neighbour@example.org")] == ["Power outage at meter M00005000"]
    assert to(mail, "di-neighbour@example.org") == []  # never another point's alerts
    assert "M00009500" not in body(to(mail, "ana-neighbour@example.org")[0])  # nor other members' meters
    crew = api("POST", "/api/crews", json={"name": "Line 8", "kind": "line", "on_shift": True}).json()
    assignment = api("POST", f"/api/interruptions/{record['id']}/crews", json={"crew_id": crew["id"]}).json()
    for status in ("en_route", "on_site"):
        moved = api(
            "PATCH",
            f"/api/crew-assignments/{assignment['id']}",
            json={"version": assignment["version"], "status": status},
        )
        assert moved.status_code == 200, moved.text
        assignment = moved.json()
    current = api("GET", f"/api/interruptions/{record['id']}").json()
    closed = api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": current["version"], "restored_at": now().isoformat()},
    )
    assert closed.status_code == 200, closed.text
    deliver(sessions, mail)
    subjects = [m["Subject"] for m in to(mail, "ana-neighbour@example.org")]
    assert subjects == [
        "Power outage at meter M00005000",
        "Crew on site at meter M00005000",
        "Power restored at meter M00005000",
    ]
    assert to(mail, "di-neighbour@example.org") == []
    pairs = session.execute(select(AlertDelivery.event_id, AlertDelivery.recipient_id)).all()
    assert len(pairs) == len(set(pairs)) == 3  # one delivery per event and recipient


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**ANA, "meter_number": "M00005001"}, "meter_number"),  # a meter of another bill
        ({"account_number": ANA["account_number"]}, "meter_number"),  # no proof at all
        ({"account_number": ANA["account_number"], "phone": "512-555-0111"}, "phone"),  # no confirmed phone
        ({**ANA, "address": "not-an-email"}, "address"),
        ({**ANA, "channel": "pigeon"}, "channel"),
        ({**ANA, "channel": "sms", "address": "512-555-0142"}, "channel"),  # no text gateway here
        ({**ANA, "language": "fr"}, "language"),
    ],
)
def test_bad_proof_or_address_is_refused_naming_the_field_and_nothing_is_written(api, mail, session, payload, field):
    before = _count(session, AlertRecipient)
    refused = _updates(api, {}, **{"address": "x@example.org", **payload})
    assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    assert " / " in refused.json()["detail"]  # both languages
    assert _count(session, AlertRecipient) == before and mail.messages == []


def test_texts_without_an_account_with_a_gateway(api, mail, session, monkeypatch):
    sent = []
    settings = SmsSettings(gateway="email", email_domain="sms.example.org")
    monkeypatch.setattr(member_routes, "get_sms_settings", lambda: settings)
    asked = _updates(api, BO, channel="sms", address="(512) 555-0142")
    assert asked.status_code == 202, asked.text
    assert asked.json()["address"] == "+15125550142"
    (text,) = to(mail, "5125550142@sms.example.org")
    sent.append(text)
    assert "/members/confirm?token=" in body(text)
    token = _link(text, "/members/confirm")
    assert api("POST", "/api/members/alerts/confirm", as_=None, json={"token": token}).status_code == 200
    # the confirmed phone also proves a report without signing in
    by_phone = _report(api, {"account_number": BO["account_number"], "phone": "512-555-0142"})
    assert by_phone.status_code == 201, by_phone.text
    assert session.get(OutageReport, by_phone.json()["id"]).service_point_id == session.scalar(
        select(AlertRecipient.service_point_id).where(AlertRecipient.address == "+15125550142")
    )
