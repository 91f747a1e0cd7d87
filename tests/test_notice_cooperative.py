"""The notices the scheduler e-mails carry the configured cooperative's name (``OUTAGES_COOPERATIVE_NAME``) in
their text, their HTML and their PDF, never the sample's: through ``tick`` and through ``outages tick``, to a real
SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from dashboards import cli
from dashboards.settings import ServiceSettings
from gis.db import utcnow
from reports import flow
from reports.flow import tick
from reports.settings import CooperativeSettings
from tests.helpers import T, log

CONFIGURED = "Pedernales Test Cooperative"
SAMPLE = CooperativeSettings.model_fields["cooperative_name"].default


@pytest.fixture
def configured(monkeypatch) -> ServiceSettings:
    """The service's settings with the cooperative's name set in the environment, as an operator sets it."""
    monkeypatch.setenv("OUTAGES_COOPERATIVE_NAME", CONFIGURED)
    return ServiceSettings(_env_file=None)


def significant_storm(session, *, start: datetime) -> None:
    """2,400 of the 12,000 members out on JC-014: significant (20 %) one hour after ``start``."""
    log(session, start=start, out=2_400)
    session.commit()


def assert_names_the_configured_cooperative(messages) -> None:
    assert messages
    for message in messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        pdf = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
        shown = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
        for part in (text, html, " ".join(shown.split())):
            assert CONFIGURED in part and SAMPLE not in part, part


def test_the_name_is_read_from_the_environment(configured):
    assert SAMPLE != CONFIGURED
    assert configured.cooperative_name == CONFIGURED == CooperativeSettings(_env_file=None).cooperative_name


def test_the_scheduler_round_mails_the_configured_name(sessions, session, inbox, configured):
    significant_storm(session, start=T)
    report = tick(sessions, cooperative=configured.cooperative_name, now=T + timedelta(hours=1), smtp=inbox.settings)
    assert len(report.notices) == 1 and report.sent == 2
    assert_names_the_configured_cooperative(inbox.messages)


def test_outages_tick_mails_the_configured_name(sessions, session, inbox, configured, monkeypatch):
    significant_storm(session, start=utcnow() - timedelta(hours=2))
    monkeypatch.setattr(cli, "get_settings", lambda: configured)
    monkeypatch.setattr(cli, "_sessions", lambda: sessions)
    monkeypatch.setattr(flow, "get_smtp_settings", lambda: inbox.settings)  # the executives' inbox
    done = CliRunner().invoke(cli.app, ["tick"], prog_name="outages")
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())  # the console wraps its lines
    assert "1 new notices" in said and "2 sent" in said, said
    assert_names_the_configured_cooperative(inbox.messages)
