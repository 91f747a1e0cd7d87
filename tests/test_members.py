"""Member accounts (issue 7, first part): registration, idempotent activation, sign-in, reset, own
service points — with the e-mails read from a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboards.routes import members as member_routes
from outages.members.models import MemberAccount, MemberToken
from tests.helpers import active_member, link_token, register, sign_in


def test_mismatched_meter_is_refused_and_nothing_is_made(api, mail, session):
    wrong = register(api, **{"account_number": "1000000100", "meter_number": "M00000101"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "meter_number"
    english, spanish = wrong.json()["detail"].split(" / ")  # the member pages show the reader's half
    assert english.startswith("The account number") and spanish.startswith("El número de cuenta")
    assert session.scalar(select(func.count()).select_from(MemberAccount)) == 0 and mail.messages == []


@pytest.mark.parametrize("password", ["short1", "password123", "Welcome1", "aaaaaaaaaaaa", "ana"])
def test_weak_passwords_are_refused(api, mail, password):
    refused = register(api, password=password if password != "ana" else "ana@example.org".split("@")[0] * 3)
    assert refused.status_code == 422 and refused.json()["field"] == "password", password


def test_register_activate_twice_and_sign_in(api, mail):
    first = register(api, password="x" * 20 + " long passphrases are welcome here " + "y" * 20)
    assert first.status_code == 202
    assert "If the details are right" in first.json()["detail"]
    token = link_token(mail.messages[-1])
    assert mail.messages[-1]["Subject"] == "Activate your outage account"
    assert sign_in(api, password="x" * 20 + " long passphrases are welcome here " + "y" * 20).status_code == 401
    once = api("POST", "/api/members/activate", as_=None, json={"token": token})
    twice = api("POST", "/api/members/activate", as_=None, json={"token": token})  # the double click
    assert (once.json()["status"], twice.json()["status"]) == ("activated", "already_active")
    assert twice.status_code == 200
    assert sign_in(api, password="x" * 20 + " long passphrases are welcome here " + "y" * 20).status_code == 200


def test_answers_never_reveal_whether_an_email_exists(api, mail, session):
    assert register(api).status_code == 202
    again = register(api, password="another good passphrase 2026")
    assert again.status_code == 202
    assert again.json()["detail"] == member_routes.SAME_ANSWER
    assert session.scalar(select(func.count()).select_from(MemberAccount)) == 1
    assert mail.messages[-1]["Subject"] == "Your outage account"  # told only by e-mail, to that address
    unknown = api("POST", "/api/members/password-reset", as_=None, json={"email": "nobody@example.org"})
    known = api("POST", "/api/members/password-reset", as_=None, json={"email": "ana@example.org"})
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()


def test_expired_link_is_refused_with_a_way_to_resend(api, mail, session):
    register(api, language="es")
    assert mail.messages[-1]["Subject"] == "Active su cuenta de apagones"
    for row in session.scalars(select(MemberToken)):
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    expired = api("POST", "/api/members/activate", as_=None, json={"token": link_token(mail.messages[-1])})
    assert expired.status_code == 409 and "Resend activation" in expired.json()["detail"]
    assert api("POST", "/api/members/resend-activation", as_=None, json={"email": "ana@example.org"}).status_code == 202
    fresh = api("POST", "/api/members/activate", as_=None, json={"token": link_token(mail.messages[-1])})
    assert fresh.json()["status"] == "activated"
    bogus = api("POST", "/api/members/activate", as_=None, json={"token": "not-a-token"})
    assert bogus.status_code == 422


def test_password_reset_by_email(api, mail):
    register(api)
    api("POST", "/api/members/activate", as_=None, json={"token": link_token(mail.messages[-1])})
    api("POST", "/api/members/password-reset", as_=None, json={"email": "ana@example.org"})
    token = link_token(mail.messages[-1])
    done = api(
        "POST",
        "/api/members/password-reset/confirm",
        as_=None,
        json={"token": token, "password": "a brand new passphrase for 2027"},
    )
    assert done.status_code == 200
    assert sign_in(api).status_code == 401
    assert sign_in(api, password="a brand new passphrase for 2027").status_code == 200
    reuse = api(
        "POST",
        "/api/members/password-reset/confirm",
        as_=None,
        json={"token": token, "password": "yet another passphrase 2028"},
    )
    assert reuse.status_code == 422


def test_my_service_points_and_their_status_only(api, mail):
    ana = active_member(api, mail)
    added = api(
        "POST",
        "/api/members/me/service-points",
        as_=None,
        headers=dict(ana),
        json={"account_number": "1000010600", "meter_number": "M00010600"},
    )  # on MF-001
    assert added.status_code == 201
    assert [p["meter_number"] for p in added.json()["service_points"]] == ["M00000100", "M00010600"]
    assert {p["status"] for p in added.json()["service_points"]} == {"on"}
    api(
        "POST",
        "/api/interruptions",
        json={
            "feeder": "MF-001",
            "cause": "wind",
            "members_out": 1_500,
            "start_at": "2025-06-02T10:00:00-05:00",
            "etr_at": "2025-06-02T14:00:00-05:00",
        },
    )
    api(
        "POST",
        "/api/interruptions",
        json={"feeder": "JC-014", "cause": "wind", "members_out": 20, "start_at": "2025-06-02T10:00:00-05:00"},
    )
    mine = {
        p["meter_number"]: p
        for p in api("GET", "/api/members/me", as_=None, headers=dict(ana)).json()["service_points"]
    }
    assert mine["M00010600"]["status"] == "out" and mine["M00010600"]["etr_at"] == "2025-06-02T19:00:00Z"
    assert mine["M00000100"]["status"] == "possibly_out"  # part of JC-014, no device named
    bo = active_member(
        api, mail, email="bo@example.org", point={"account_number": "1000010200", "meter_number": "M00010200"}
    )
    theirs = api("GET", "/api/members/me", as_=None, headers=dict(bo)).json()["service_points"]
    assert [p["meter_number"] for p in theirs] == ["M00010200"]  # nobody else's
    wrong = api(
        "POST",
        "/api/members/me/service-points",
        as_=None,
        headers=dict(bo),
        json={"account_number": "1000010600", "meter_number": "M00000100"},
    )
    assert wrong.status_code == 422
    assert api("GET", "/api/members/me", as_="dispatcher").status_code == 401  # a staff token is no member
    assert api("GET", "/api/interruptions", as_=None, headers=dict(ana)).status_code == 401  # nor the reverse


def test_sign_in_is_rate_limited(api, mail):
    for _ in range(10):
        assert sign_in(api, password="wrong wrong wrong").status_code == 401
    assert sign_in(api, password="wrong wrong wrong").status_code == 429


def _report(api, n: int):
    return api(
        "POST",
        "/api/members/outage-reports",
        as_=None,
        json={"account_number": str(1_000_000_000 + n), "meter_number": f"M{n:08d}"},
    )


def test_reports_are_deduplicated_and_become_a_probable_outage_the_dispatcher_confirms(api, mail):
    ana = active_member(api, mail)
    first = api(
        "POST", "/api/members/me/outage-reports", as_=None, headers=dict(ana), json={"meter_number": "M00000100"}
    )
    again = api(
        "POST", "/api/members/me/outage-reports", as_=None, headers=dict(ana), json={"meter_number": "M00000100"}
    )
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert first.json()["detail"].startswith("Thanks, your report is new: a dispatcher will look at it.")
    assert first.json()["known"] is False
    not_mine = api(
        "POST", "/api/members/me/outage-reports", as_=None, headers=dict(ana), json={"meter_number": "M00000101"}
    )
    assert not_mine.status_code == 422
    assert api("GET", "/api/probable-outages", as_="dispatcher").json() == []  # 1 report: below the threshold
    # two neighbours report without signing in (below recloser R1: meters 4,001-10,000 in the test cooperative)
    assert _report(api, 4_500).status_code == 201 and _report(api, 4_501).status_code == 201
    assert _report(api, 4_501).status_code == 200  # deduplicated
    assert _report(api, 4_501).json()["detail"].startswith("We already have your report")
    probable = api("GET", "/api/probable-outages", as_="executive").json()
    assert [(p["feeder"], p["reports"]) for p in probable] == [("JC-014", 3)]
    refused = api("POST", "/api/probable-outages/confirm", as_="executive", json={"feeder": "JC-014"})
    assert refused.status_code == 403
    made = api(
        "POST",
        "/api/probable-outages/confirm",
        as_="dispatcher",
        json={"feeder": "JC-014", "device": "JC-014-R1", "cause": "wind"},
    )
    assert made.status_code == 201, made.text
    record = made.json()
    assert (record["feeder"], record["device"], record["members_out"]) == ("JC-014", "JC-014-R1", 6_000)
    assert record["notes"] == "confirmed from 3 member report(s)"
    assert api("GET", "/api/probable-outages").json() == []
    assert api("POST", "/api/probable-outages/dismiss", as_="dispatcher", json={"feeder": "JC-014"}).status_code == 404


def test_dismissing_a_probable_outage(api, mail):
    for n in (10_101, 10_102, 10_103):  # on JC-015
        assert _report(api, n).status_code == 201
    assert api("GET", "/api/probable-outages").json()[0]["feeder"] == "JC-015"
    assert api("POST", "/api/probable-outages/dismiss", as_="dispatcher", json={"feeder": "JC-015"}).json() == {
        "dismissed": 3
    }
    assert api("GET", "/api/probable-outages").json() == []
    assert _report(api, 10_101).status_code == 201  # a new report after a dismissal is a new report
    wrong = api(
        "POST",
        "/api/members/outage-reports",
        as_=None,
        json={"account_number": "1000010101", "meter_number": "M00010102"},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "meter_number"


def test_reports_of_a_known_outage_join_it_instead_of_making_a_probable_one(api, mail):
    start = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    record = api(
        "POST",
        "/api/interruptions",
        json={"feeder": "JC-014", "device": "JC-014-R1", "cause": "wind", "members_out": 6_000, "start_at": start},
    ).json()
    for n in (4_500, 4_501, 4_502):  # below R1: already known to be out
        known = _report(api, n)
        assert known.status_code == 201 and known.json()["status"] == "confirmed"
        assert known.json()["detail"].startswith("We already know about this outage. Status: Reported.")
    for n in (100, 101, 102):  # the same feeder above R1: not known, so they count
        assert _report(api, n).json()["status"] == "open"
    assert [(p["feeder"], p["reports"]) for p in api("GET", "/api/probable-outages").json()] == [("JC-014", 3)]
    assert record["status"] == "open"


def test_the_demo_member_signs_in_and_keeps_the_service_out_of_production(session):
    from dashboards.users import DEMO_MEMBER, demo_users_present, ensure_demo_member
    from outages.members.service import authenticate_member, service_points_of

    assert not demo_users_present(session=session)
    assert ensure_demo_member(session=session) is True and ensure_demo_member(session=session) is False
    account = authenticate_member(session=session, email=DEMO_MEMBER[0], password=DEMO_MEMBER[1])
    assert len(service_points_of(session=session, account_id=account.id)) == 2
    assert demo_users_present(session=session)  # `outages serve` refuses to start outside demo mode


@pytest.mark.parametrize(
    "meters, device",
    [
        ((9_001, 9_002, 9_003), "JC-014-F1"),  # all below fuse F1: the fuse
        ((9_001, 9_002, 4_500), "JC-014-R1"),  # two below F1, one below R1 only: the recloser above both
        ((9_001, 4_500, 100), None),  # one from above every device: the feeder itself
    ],
)
def test_reports_point_to_the_device_above_them_all(api, mail, meters, device):
    for n in meters:
        assert _report(api, n).status_code == 201
    [probable] = api("GET", "/api/probable-outages").json()
    assert (probable["feeder"], probable["reports"], probable["device"]) == ("JC-014", 3, device)
