"""Staff see members' alerts aggregated (GET /api/member-alerts): per event its interruption and facility,
kind, times, recipients and delivery counts by status, and the most frequent error of the failed ones —
counts and error texts, never who (no address anywhere in the answer)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from gis.db import transaction, utcnow
from outages.alerts import AlertDelivery, AlertEvent
from reports.delivery import SmtpSettings
from reports.member_alerts import SmsSettings, alert_round, redact_addresses
from tests.factories import ANA, BO
from tests.helpers import COOP, URL, active_member, deliver, free_port, log_outage, now

ADDRESSES = ("ana@example.org", "bo@example.org")


def summary(api, hours=24, as_="executive"):
    response = api("GET", "/api/member-alerts", as_=as_, params={"hours": hours})
    assert response.status_code == 200, response.text
    assert not any(address in response.text for address in ADDRESSES), response.text  # never who
    return response.json()


def _members(api, mail):
    active_member(api, mail, email="ana@example.org", point=ANA)
    active_member(api, mail, email="bo@example.org", point=BO)
    mail.messages.clear()


def test_counts_before_and_after_a_delivery_round_newest_first(api, mail, sessions):
    _members(api, mail)
    record = log_outage(api)
    [waiting] = summary(api)
    assert waiting["interruption_id"] == record["id"] and waiting["kind"] == "outage"
    assert (waiting["feeder"], waiting["device"], waiting["transmission_line"]) == ("JC-014", "JC-014-R1", None)
    assert (waiting["queued_at"], waiting["recipients"]) == (None, None)  # the worker has not run yet
    assert (waiting["sent"], waiting["pending"], waiting["failed"], waiting["cancelled"]) == (0, 0, 0, 0)

    assert deliver(sessions, mail)["sent"] == 2
    [outage] = summary(api, as_="dispatcher")  # any staff role reads it
    assert outage["queued_at"] is not None and outage["recipients"] == 2
    assert (outage["sent"], outage["pending"], outage["failed"], outage["cancelled"]) == (2, 0, 0, 0)
    assert outage["top_error"] is None and outage["top_error_count"] == 0

    api(
        "PUT",
        f"/api/interruptions/{record['id']}/etr",
        json={"version": record["version"], "etr_at": (now() + timedelta(hours=2)).isoformat()},
    )
    etr, again = summary(api, as_="registry")
    assert (etr["kind"], etr["recipients"], again["event_id"]) == ("etr", None, outage["event_id"])  # newest first
    queued = api("GET", "/api/member-alerts", as_="admin").json()
    assert [e["kind"] for e in queued] == ["etr", "outage"]


def test_a_failed_delivery_shows_as_failed_with_its_error(api, mail, sessions, session):
    _members(api, mail)
    record = log_outage(api)
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender="outages@coop.example")  # nobody listens
    result = alert_round(sessions, coop=COOP, public_url=URL, smtp=down, sms=SmsSettings())
    assert (result.queued, result.sent, result.failed) == (2, 0, 2)
    [event] = summary(api)
    assert (event["interruption_id"], event["recipients"]) == (record["id"], 2)
    assert (event["sent"], event["pending"], event["failed"], event["cancelled"]) == (0, 0, 2, 0)
    stored = set(session.scalars(select(AlertDelivery.last_error).where(AlertDelivery.status == "failed")))
    assert len(stored) == 1 and event["top_error"] == stored.pop() and event["top_error_count"] == 2
    assert "refused" in event["top_error"].lower() or "connect" in event["top_error"].lower()

    # an SMTP refusal names the address it refused: staff see the error, not the address, and the same
    # refusal for two members counts as one error
    with transaction(sessions) as s:
        ids = s.scalars(
            select(AlertDelivery.id)
            .join(AlertEvent)
            .where(AlertEvent.interruption_id == record["id"])
            .order_by(AlertDelivery.id)
        ).all()
        for delivery_id, address in zip(ids, ADDRESSES, strict=True):
            s.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == delivery_id)
                .values(
                    last_error=f"SMTPRecipientsRefused: {{'{address}': (550, b'5.1.1 <{address}>: mailbox unavailable')}}"
                )
            )
    [event] = summary(api)
    assert (
        event["top_error"] == ("SMTPRecipientsRefused: {'<address>': (550, b'5.1.1 <<address>>: mailbox unavailable')}")
        and event["top_error_count"] == 2
    )
    assert redact_addresses("to +15125550142 via 5125550142@sms.example failed") == "to <phone> via <address> failed"


def test_hours_bounds_and_old_events(api, mail, sessions):
    _members(api, mail)
    record = log_outage(api)
    with transaction(sessions) as s:
        s.execute(
            update(AlertEvent)
            .where(AlertEvent.interruption_id == record["id"])
            .values(created_at=utcnow() - timedelta(hours=30))
        )
    assert summary(api, hours=24) == []
    assert [e["interruption_id"] for e in summary(api, hours=48)] == [record["id"]]
    for bad in (0, 721, "a day"):
        refused = api("GET", "/api/member-alerts", as_="executive", params={"hours": bad})
        assert refused.status_code == 422 and refused.json()["field"] == "hours", refused.text
        assert refused.json()["detail"].startswith("Hours:")


def test_staff_only(api):
    refused = api("GET", "/api/member-alerts", as_=None)
    assert refused.status_code == 401 and "Log in first" in refused.json()["detail"]
    forged = api("GET", "/api/member-alerts", as_=None, headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
