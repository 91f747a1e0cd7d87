"""The e-mails a member's own actions set off: when the SMTP server cannot be reached, the failure is logged
(naming the kind of e-mail, the recipient redacted) and the member gets the same answer as when it goes."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from dashboards.routes import members as member_routes
from outages.members import service
from outages.members.models import AlertRecipient, MemberAccount
from reports.delivery import SmtpSettings
from tests.helpers import free_port

POINT = {"account_number": "1000000100", "meter_number": "M00000100"}  # on JC-014
PASSPHRASE = "correct horse battery staple on the pedernales"


@pytest.fixture
def smtp_down(monkeypatch):
    """Every e-mail the member routes send goes to a closed port on 127.0.0.1."""
    down = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    monkeypatch.setattr(member_routes, "get_smtp_settings", lambda: down)


def _not_sent(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "reports.member_mail" and r.exc_info and r.levelno == logging.WARNING
    ]


def test_a_registration_whose_email_fails_is_logged_and_answered_the_same(api, session, smtp_down, caplog):
    with caplog.at_level(logging.WARNING, logger="reports.member_mail"):
        answer = api(
            "POST",
            "/api/members/register",
            as_=None,
            json={"email": "ana@example.org", "password": PASSPHRASE, "language": "en", **POINT},
        )
    assert answer.status_code == 202 and answer.json() == {"detail": service.SAME_ANSWER}
    assert session.scalar(select(func.count()).select_from(MemberAccount)) == 1  # registered all the same
    [logged] = _not_sent(caplog)
    assert "activate" in logged and "<address>" in logged and "ana@example.org" not in logged


def test_a_confirmation_request_that_fails_is_logged_and_the_recipient_still_added(api, session, smtp_down, caplog):
    mail = service.register(session=session, email="ana@example.org", password=PASSPHRASE, **POINT)
    service.activate(session=session, token=mail.token)
    session.commit()
    signed_in = api(
        "POST", "/api/members/token", as_=None, data={"username": "ana@example.org", "password": PASSPHRASE}
    )
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    with caplog.at_level(logging.WARNING, logger="reports.member_mail"):
        added = api(
            "POST",
            "/api/members/me/alert-recipients",
            as_=None,
            headers=headers,
            json={"channel": "email", "address": "carla@example.org"},
        )
    assert added.status_code == 201 and added.json()["status"] == "pending"
    assert session.scalar(select(AlertRecipient.address).where(AlertRecipient.owner.is_(False))) == "carla@example.org"
    [logged] = _not_sent(caplog)
    assert "confirmation" in logged and "<address>" in logged and "carla" not in logged
