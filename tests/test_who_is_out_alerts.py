"""Members' alerts say exactly who (issue 12, domain D15): an alert event lists the service points it is about
(:class:`outages.alerts.AlertEventPoint`), only their members are told, once per event and recipient, and the
message names all the recipient's meters the event is about.

The first tests call :func:`outages.alerts.record_event` directly with explicit service points (independent of
how the dispatcher's actions compute them); the last ones go through the API: a nested outage on the tiny
cooperative (recloser JC-014-R1 with fuse JC-014-F1 below it)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import delete, select

from gis.db import transaction
from gis.models import ServicePoint
from outages.alerts import AlertDelivery, AlertEvent, AlertEventPoint, record_event
from outages.members.models import AlertRecipient, MemberAccount, MemberServicePoint
from outages.models import Interruption
from outages.schemas import InterruptionCreate
from outages.service import create_interruption
from reports.member_alerts import alert_words, listed
from tests.factories import ANA, BO, CY
from tests.helpers import URL, active_member, body, deliver, log_outage, now, to

A, B, C = ANA["meter_number"], BO["meter_number"], CY["meter_number"]  # below R1; below F1; above R1 (JC-014)


def _sp(s, meter: str) -> int:
    return s.scalar(select(ServicePoint.id).where(ServicePoint.meter_number == meter))


def _account(s, email: str, meters: list[str], *, language: str = "en", **alerts) -> MemberAccount:
    """An active member with these meters (alerts on unless ``alert_<kind>=False``) and its confirmed e-mail."""
    account = MemberAccount(email=email, password_hash="-", active=True, language=language)
    s.add(account)
    s.flush()
    s.add_all([MemberServicePoint(account_id=account.id, service_point_id=_sp(s, m), **alerts) for m in meters])
    s.add(
        AlertRecipient(
            account_id=account.id, channel="email", address=email, owner=True, language=language, confirmed_at=now()
        )
    )
    s.flush()
    return account


def _record(s) -> Interruption:
    """An open record on JC-014-R1 with no alert events of its own: the tests add them."""
    record, _ = create_interruption(
        session=s,
        actor="dispatcher",
        data=InterruptionCreate(
            feeder="JC-014", device="JC-014-R1", cause="wind", members_out=6_000, start_at=now() - timedelta(minutes=20)
        ),
    )
    s.flush()
    s.execute(delete(AlertEvent).where(AlertEvent.interruption_id == record.id))
    return record


def _points(s, event_kind: str, record: Interruption) -> set[int]:
    event = s.scalar(
        select(AlertEvent.id).where(AlertEvent.interruption_id == record.id, AlertEvent.kind == event_kind)
    )
    return set(s.scalars(select(AlertEventPoint.service_point_id).where(AlertEventPoint.event_id == event)))


def test_only_the_listed_service_points_members_are_told(sessions, inbox):
    with transaction(sessions) as s:
        _account(s, "ana@example.org", [A])
        _account(s, "bo@example.org", [B])  # below the record's device too, but not listed
        _account(s, "cy@example.org", [C])
        record = _record(s)
        record_event(s, record, "outage", service_point_ids=[_sp(s, A)])
        record_event(s, record, "etr", ref=1, service_point_ids=[_sp(s, A), _sp(s, C)])  # whoever is listed
        record_event(s, record, "restored", service_point_ids=[])  # nobody came back: nobody is told
    assert deliver(sessions, inbox) == {"queued": 3, "sent": 3, "failed": 0}
    assert [m["Subject"] for m in to(inbox, "ana@example.org")] == [
        "Power outage at meter M00005000",
        "New restoration estimate for meter M00005000",
    ]
    assert [m["Subject"] for m in to(inbox, "cy@example.org")] == ["New restoration estimate for meter M00000100"]
    assert to(inbox, "bo@example.org") == []
    with transaction(sessions) as s:
        restored = s.scalar(
            select(AlertEvent).where(AlertEvent.interruption_id == record.id, AlertEvent.kind == "restored")
        )
        assert restored.queued_at is not None and restored.recipients == 0


def test_one_message_per_event_and_recipient_naming_all_their_meters(sessions, inbox):
    with transaction(sessions) as s:
        two = _account(s, "two@example.org", [A, B])
        s.add(
            AlertRecipient(
                account_id=two.id, channel="email", address="helper@example.org", language="es", confirmed_at=now()
            )
        )  # an extra recipient, in Spanish
        _account(s, "cy@example.org", [C])
        record = _record(s)
        record_event(s, record, "outage", service_point_ids=[_sp(s, B), _sp(s, A), _sp(s, C)])
        record_event(s, record, "restored", service_point_ids=[_sp(s, A)])  # a step: only one of the two back
    assert deliver(sessions, inbox) == {"queued": 5, "sent": 5, "failed": 0}
    assert deliver(sessions, inbox)["queued"] == 0  # once per event and recipient
    outage, restored = to(inbox, "two@example.org")
    assert outage["Subject"] == "Power outage at meters M00005000 and M00009500"
    assert "at your service (meters M00005000 and M00009500) since" in body(outage)
    assert restored["Subject"] == "Power restored at meter M00005000"
    assert "Power is back at meter M00005000 since" in body(restored)
    helper_outage, helper_restored = to(inbox, "helper@example.org")
    assert helper_outage["Subject"] == "Apagón en los medidores M00005000 y M00009500"
    assert "en su servicio (medidores M00005000 y M00009500) desde" in body(helper_outage)
    assert helper_restored["Subject"] == "Servicio restablecido en el medidor M00005000"
    assert "La electricidad volvió al medidor M00005000 desde" in body(helper_restored)
    assert [m["Subject"] for m in to(inbox, "cy@example.org")] == ["Power outage at meter M00000100"]
    with transaction(sessions) as s:  # the delivery rows: one per event and recipient
        pairs = s.execute(select(AlertDelivery.event_id, AlertDelivery.recipient_id)).all()
        assert len(pairs) == len(set(pairs)) == 5


def test_a_meter_whose_member_turned_that_alert_off_is_not_named(sessions, inbox):
    with transaction(sessions) as s:
        two = _account(s, "two@example.org", [A])
        s.add(MemberServicePoint(account_id=two.id, service_point_id=_sp(s, B), alert_etr=False))
        _account(s, "quiet@example.org", [C], alert_etr=False)
        record = _record(s)
        record_event(s, record, "etr", ref=1, service_point_ids=[_sp(s, A), _sp(s, B), _sp(s, C)])
        record_event(s, record, "outage", service_point_ids=[_sp(s, A), _sp(s, B)])
    assert deliver(sessions, inbox)["sent"] == 2
    assert sorted(m["Subject"] for m in to(inbox, "two@example.org")) == [
        "New restoration estimate for meter M00005000",  # M00009500 wants no ETR alerts
        "Power outage at meters M00005000 and M00009500",
    ]
    assert to(inbox, "quiet@example.org") == []


def test_a_correction_names_the_meters_its_outage_alert_named(sessions, inbox):
    with transaction(sessions) as s:
        _account(s, "two@example.org", [A, B], language="es")
        _account(s, "cy@example.org", [C])  # not told of the outage: no correction either
        record = _record(s)
        record_event(s, record, "outage", service_point_ids=[_sp(s, A), _sp(s, B)])
    deliver(sessions, inbox)
    with transaction(sessions) as s:
        record_event(s, s.get(Interruption, record.id), "cancelled")
    assert deliver(sessions, inbox)["sent"] == 1
    told, corrected = to(inbox, "two@example.org")
    assert told["Subject"] == "Apagón en los medidores M00005000 y M00009500"
    assert corrected["Subject"] == "Corrección para los medidores M00005000 y M00009500"
    assert "El apagón que le avisamos en los medidores M00005000 y M00009500 se registró" in body(corrected)
    assert to(inbox, "cy@example.org") == []


def test_record_event_stores_each_point_once_and_flushes_nothing(session):
    record = _record(session)
    a, b = _sp(session, A), _sp(session, B)
    record.notes = "crew on the way"  # a pending change of the caller's: flushed by the caller, once
    record_event(session, record, "outage", service_point_ids=np.array([b, a, b, a], dtype=np.int64))
    assert record in session.dirty
    record_event(session, record, "etr", ref=7, service_point_ids=iter([a]))
    record_event(session, record, "restored")  # no service points: the event alone
    assert _points(session, "outage", record) == {a, b} and _points(session, "etr", record) == {a}
    assert _points(session, "restored", record) == set()
    event = session.scalar(
        select(AlertEvent).where(AlertEvent.interruption_id == record.id, AlertEvent.kind == "outage")
    )
    assert event.fields == {
        "cause": "wind",
        "start_at": record.start_at.isoformat(),
        "etr_at": None,
        "restored_at": None,
        "scheduled": False,
    }
    assert event.queued_at is None and event.created_at is not None


@pytest.mark.parametrize(
    ("meters", "language", "subject", "phrase"),
    [
        (["M1"], "en", "Power outage at meter M1", "(meter M1)"),
        (["M1", "M2", "M3"], "en", "Power outage at meters M1, M2 and M3", "(meters M1, M2 and M3)"),
        (["M1", "M2", "M3"], "es", "Apagón en los medidores M1, M2 y M3", "(medidores M1, M2 y M3)"),
        (
            [f"M{i}" for i in range(1, 8)],
            "en",
            "Power outage at meters M1, M2, M3, M4 and 3 more",
            "(meters M1, M2, M3, M4, M5, M6 and M7)",
        ),  # the subject stays short, the text names them all
        (
            [f"M{i}" for i in range(1, 8)],
            "es",
            "Apagón en los medidores M1, M2, M3, M4 y 3 más",
            "(medidores M1, M2, M3, M4, M5, M6 y M7)",
        ),
    ],
)
def test_the_words_name_every_meter(meters, language, subject, phrase):
    from zoneinfo import ZoneInfo

    fields = {"cause": "wind", "start_at": now().isoformat(), "etr_at": None, "restored_at": None, "scheduled": False}
    got_subject, text, sms = alert_words(
        "outage",
        fields,
        language=language,
        meters=meters,
        coop="Co-op",
        public_url=URL,
        unsubscribe_key="k",
        zone=ZoneInfo("America/Chicago"),
    )
    assert got_subject == subject and phrase in text and phrase in sms
    assert listed(["M1", "M2"], "es") == "M1 y M2" and listed(["M1"], "en") == "M1"


# --- through the API: the dispatcher's actions say who -------------------------------------------


def test_a_member_with_two_dark_meters_gets_one_message_naming_both(api, mail, sessions):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    assert api("POST", "/api/members/me/service-points", as_=None, headers=ana, json=BO).status_code == 201
    active_member(api, mail, email="cy@example.org", point=CY)
    mail.messages.clear()
    record = log_outage(api)  # JC-014-R1: both of ana's meters, not cy's
    assert deliver(sessions, mail) == {"queued": 1, "sent": 1, "failed": 0}
    (outage,) = mail.messages
    assert outage["To"] == "ana@example.org" and outage["Subject"] == "Power outage at meters M00005000 and M00009500"
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
    assert [m["Subject"] for m in mail.messages][1:] == ["Power restored at meters M00005000 and M00009500"]


def test_a_nested_outage_tells_each_member_when_their_own_power_changes(api, mail, sessions):
    active_member(api, mail, email="ana@example.org", point=ANA)  # below R1 only
    active_member(api, mail, email="bo@example.org", point=BO)  # below F1, which is below R1
    mail.messages.clear()
    fuse = log_outage(api, device="JC-014-F1", members_out=1_000)  # bo's fuse first
    deliver(sessions, mail)
    assert [(m["To"], m["Subject"]) for m in mail.messages] == [("bo@example.org", "Power outage at meter M00009500")]
    recloser = log_outage(api)  # then the recloser above it: only ana's power goes off now
    deliver(sessions, mail)
    assert [(m["To"], m["Subject"]) for m in mail.messages[1:]] == [
        ("ana@example.org", "Power outage at meter M00005000")
    ]
    current = api("GET", f"/api/interruptions/{recloser['id']}").json()
    assert (
        api(
            "POST",
            f"/api/interruptions/{recloser['id']}/close",
            json={"version": current["version"], "restored_at": now().isoformat()},
        ).status_code
        == 200
    )
    deliver(sessions, mail)  # the recloser closes: ana is back, bo is still dark behind the fuse
    assert [(m["To"], m["Subject"]) for m in mail.messages[2:]] == [
        ("ana@example.org", "Power restored at meter M00005000")
    ]
    current = api("GET", f"/api/interruptions/{fuse['id']}").json()
    assert (
        api(
            "POST",
            f"/api/interruptions/{fuse['id']}/close",
            json={"version": current["version"], "restored_at": now().isoformat()},
        ).status_code
        == 200
    )
    deliver(sessions, mail)
    assert [(m["To"], m["Subject"]) for m in mail.messages[3:]] == [
        ("bo@example.org", "Power restored at meter M00009500")
    ]


def test_an_unlocated_count_tells_nobody_until_it_is_located(api, mail, sessions):
    active_member(api, mail, email="ana@example.org", point=ANA)
    active_member(api, mail, email="bo@example.org", point=BO)
    mail.messages.clear()
    # 300 of the recloser's 6,000 members are out, nobody knows which: nobody is told they are out
    count = log_outage(api, members_out=300)
    assert count["extent"] == "part" and count["members_located"] == 0
    assert deliver(sessions, mail) == {"queued": 0, "sent": 0, "failed": 0}
    # the same outage logged on bo's meter (a report, a list): bo alone is told
    log_outage(api, meters=[B], members_out=1)
    deliver(sessions, mail)
    assert [(m["To"], m["Subject"]) for m in mail.messages] == [("bo@example.org", "Power outage at meter M00009500")]
