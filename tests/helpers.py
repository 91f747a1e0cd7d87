"""Plain helpers and constants the test modules share (the fixtures live in conftest.py)."""

from __future__ import annotations

import email
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dashboards.app import create_app
from dashboards.migrate import seed_reference_data, upgrade
from dashboards.users import create_user
from gis.files import read_facilities
from gis.service import import_facilities
from outages.models import Incident, Interruption, RestorationStep
from outages.records_io import COLUMNS
from outages.schemas import InterruptionCreate
from outages.service import create_interruption
from reports.member_alerts import SmsSettings, alert_round
from reports.summary_report import FacilityRow, StepRow, SummaryData
from reports.working_days import cooperative_holidays, summary_report_due
from tests.factories import JC014_POINT, sp

PASSWORDS = {role: f"{role}-test-password" for role in ("dispatcher", "executive", "registry", "admin")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_test_cooperative(engine, facility_file) -> None:
    """Migrate an empty database and load the tiny cooperative, its reference data and the staff users."""
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_reference_data(session)
        import_facilities(session=session, layers=read_facilities(facility_file))
        for role, password in PASSWORDS.items():
            create_user(session=session, username=role, password=password, role=role)


@contextmanager
def live_server(url: str, **app_options) -> Iterator[str]:
    """The app (scheduler off; ``app_options`` to :func:`dashboards.app.create_app`) served by uvicorn in a thread
    on a free 127.0.0.1 port; yields its base URL, which is also the public address its e-mails link to while it
    runs."""
    import uvicorn

    from dashboards.settings import get_settings

    port = free_port()
    settings, configured = get_settings(), get_settings().public_url
    settings.public_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(database_url=url, scheduler=False, **app_options),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        settings.public_url = configured


class Api:
    """A test client that speaks as one role."""

    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client, self.tokens = client, tokens

    def __call__(self, method: str, url: str, *, as_: str | None = "dispatcher", **kwargs):
        headers = kwargs.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        return self.client.request(method, url, headers=headers, **kwargs)


# --------------------------------------------------------------------------------------------- browser


CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"
LEAFLET_JS = (
    Path(__file__).resolve().parents[1] / "dashboards" / "static" / "node_modules" / "leaflet" / "dist" / "leaflet.js"
)


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if _playwright() is None:
        return "the playwright package is not installed (pip install playwright; never `playwright install`)"
    return None


browser_test = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def login(page, live, path: str, role: str) -> None:
    page.goto(live.base + path)
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#login [name=username]", role)
    page.fill("#login [name=password]", PASSWORDS[role])
    page.press("#login [name=password]", "Enter")


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# ------------------------------------------------------------------------------------------- e-mail


T = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # Mon 2 June 2025, 10:00 CDT
RECIPIENTS = "ceo@example.org,coo@example.org"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def log(session, *, start=T, out=2_400, feeder="JC-014", **more):
    record, _ = create_interruption(
        session=session,
        actor="dispatcher",
        data=InterruptionCreate(
            feeder=feeder, cause=more.pop("cause", "wind"), start_at=start, members_out=out, **more
        ),
    )
    session.flush()
    return record


# ---------------------------------------------------------------------------------- member accounts


PASSPHRASE = "correct horse battery staple on the pedernales"


def register(api, email="ana@example.org", password=PASSPHRASE, language="en", **point):
    return api(
        "POST",
        "/api/members/register",
        as_=None,
        json={"email": email, "password": password, "language": language, **(point or JC014_POINT)},
    )


def link_token(message) -> str:
    return re.search(r"token=([\w-]+)", message.get_body(preferencelist=("plain",)).get_content()).group(1)


def sign_in(api, email="ana@example.org", password=PASSPHRASE):
    return api("POST", "/api/members/token", as_=None, data={"username": email, "password": password})


def active_member(api, mail, email="ana@example.org", point=JC014_POINT):
    register(api, email=email, **point)
    api("POST", "/api/members/activate", as_=None, json={"token": link_token(mail.messages[-1])})
    return {"Authorization": f"Bearer {sign_in(api, email=email).json()['access_token']}"}


# ------------------------------------------------------------------------------------ member alerts


COOP, URL = "Test Co-op", "https://outages.coop.example"


def deliver(sessions, inbox, sms=None):
    """Run the alert worker until nothing is left; returns the rounds' totals."""
    total = {"queued": 0, "sent": 0, "failed": 0}
    while True:
        r = alert_round(sessions, coop=COOP, public_url=URL, smtp=inbox.settings, sms=sms or SmsSettings())
        for key in total:
            total[key] += getattr(r, key)
        if not r.more:
            return total


def to(inbox, address):
    return [m for m in inbox.messages if m["To"] == address]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def log_outage(api, **more):
    made = api(
        "POST",
        "/api/interruptions",
        json={
            "feeder": "JC-014",
            "device": "JC-014-R1",
            "cause": "wind",
            "members_out": 6_000,
            "start_at": (now() - timedelta(minutes=30)).isoformat(),
            **more,
        },
    )
    assert made.status_code == 201, made.text
    return made.json()


# --------------------------------------------------------------------------------------- public map


def whole_second_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def minutes_ago(minutes: float) -> str:
    return (whole_second_now() - timedelta(minutes=minutes)).isoformat()


def log_on_map(api, **body) -> dict:
    response = api("POST", "/api/interruptions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def map_figures(api) -> dict:
    response = api("GET", "/map/data.json", as_=None)
    assert response.status_code == 200, response.text
    return response.json()


# ----------------------------------------------------------------------------------------- registry


# JC-014: meters 1-10,000 (4,001-10,000 below recloser R1, 9,001-10,000 below fuse F1); JC-015: 10,001-10,500;
# MF-001: 10,501-12,000.
ENTRIES = {
    "hospital": dict(
        name="Pedernales Valley Hospital",
        category="hospital",
        priority_tier=1,
        backup_generation=True,
        fuel_hours=72,
        **sp(9_500),
    ),
    "water": dict(
        name="Johnson City Water Plant", category="water", priority_tier=1, backup_generation=False, **sp(100)
    ),
    "school": dict(name="LBJ Middle School", category="school", priority_tier=3, **sp(5_000)),
    "radio": dict(
        name="KJCT Radio Tower", category="communications", priority_tier=2, feeder="JC-014", lon=-98.33, lat=30.2775
    ),
    "west": dict(name="West Side Fire Station", category="fire", priority_tier=1, backup_generation=True, **sp(10_200)),
    "north": dict(name="Marble Falls Police", category="police", priority_tier=1, backup_generation=True, **sp(11_000)),
}
CONTACTS = [
    {
        "name": "Dana Ruiz",
        "role": "Facility manager",
        "phone": "(512) 555-0142",
        "email": "Dana.Ruiz@example.org",
        "around_the_clock": True,
    },
    {"name": "Lee Park", "role": "Engineer", "phone": "830.555.0199 x12"},
]


def registry_upload(rows: list[list], contacts: list[list] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "entries"
    sheet.append(
        [
            "ref",
            "name",
            "category",
            "account_number",
            "meter_number",
            "feeder",
            "lon",
            "lat",
            "backup_generation",
            "fuel_hours",
            "priority_tier",
            "notes",
            "last_verified",
            "verified_by",
        ]
    )
    for row in rows:
        sheet.append(row)
    other = book.create_sheet("contacts")
    other.append(["ref", "name", "role", "phone", "alt_phone", "email", "around_the_clock"])
    for row in contacts:
        other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------- records import


HEADER = ",".join(COLUMNS)
GOOD = [
    "H1,STORM-1,JC-014,,JC-014-R1,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T18:15:00-05:00,4000,"
    "2023-05-12T15:30:00-05:00=1000;2023-05-12T17:00:00-05:00=2500,Hwy 290,tree on line",
    "H2,STORM-1,MF-001,,,lightning,false,,2023-05-12T14:10:00-05:00,2023-05-12T14:12:00-05:00,300,,,",
    "H3,,,TL-001,,power_supply,false,,2023-01-02T01:00:00,2023-01-02T02:00:00,12000,,,",
    "H4,,JC-015,,,planned,true,false,2023-03-01T08:00:00-06:00,2023-03-01T13:00:00-06:00,200,,,",
]


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def n_records(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Interruption, RestorationStep, Incident))


def upload(api, data: bytes, name: str = "history.csv"):
    return api("POST", "/api/interruptions/import", files={"file": (name, data)})


# ----------------------------------------------------------------------------------- summary report


CHICAGO = ZoneInfo("America/Chicago")
UTC = UTC
HOLIDAYS = cooperative_holidays(range(2021, 2028))


def local(*args) -> datetime:
    """A Chicago wall-clock time as a UTC instant (how times are stored)."""
    return datetime(*args, tzinfo=CHICAGO).astimezone(UTC)


START = local(2025, 11, 23, 10, 0)  # Sun 23 Nov 2025 10:00 CST
RESTORED = local(2025, 11, 25, 14, 15)  # Tue 25 Nov 2025 14:15 CST: 52 h 15 min later
LOCATION = "Johnson City Division: Johnson City and Marble Falls communities (Blanco and Burnet counties)"
CRITERIA = [
    "Community Johnson City: 100 % of its members out at once for 1 h 30 min or more (threshold 50 %)",
    "Essential service: Pedernales Valley Hospital on JC-014 out for 6 h 15 min",
]
STEPS = [  # (local time, facility, members restored, members still out incident-wide)
    ((2025, 11, 23, 11, 30), "JC-014", 4_000, 6_000),
    ((2025, 11, 23, 14, 0), "JC-014", 5_000, 2_500),
    ((2025, 11, 23, 16, 15), "JC-014", 1_000, 1_500),
    ((2025, 11, 24, 9, 45), "MF-001 / MF-001-R3", 1_000, 500),
    ((2025, 11, 25, 14, 15), "MF-001 / MF-001-R3", 500, 0),
]


def d12_report() -> SummaryData:
    """D12's example on JC-014 (10,000 out at 10:00; 4,000 back at 11:30, 5,000 at 14:00, 1,000 at 16:15:
    1,935,000 member-minutes), and MF-001 below recloser MF-001-R3 out for two days (1,500 members:
    1,000 x 1,225 min + 500 x 2,935 min = 2,692,500 member-minutes)."""
    jc = FacilityRow(
        substation="JC-S01",
        feeder="JC-014",
        transmission_line=None,
        device=None,
        started_at=START,
        restored_at=local(2025, 11, 23, 16, 15),
        members_affected=10_000,
        member_minutes=4_000 * 90 + 5_000 * 240 + 1_000 * 375,
        cause="Ice / snow",
    )
    mf = FacilityRow(
        substation="MF-S01",
        feeder="MF-001",
        transmission_line=None,
        device="MF-001-R3",
        started_at=local(2025, 11, 23, 13, 20),
        restored_at=RESTORED,
        members_affected=1_500,
        member_minutes=1_000 * 1_225 + 500 * 2_935,
        cause="Trees & vegetation",
    )
    return SummaryData(
        cooperative="Hill Country Electric Cooperative (synthetic)",
        incident_id=417,
        incident_title="November ice storm",
        started_at=START,
        restored_at=RESTORED,
        zone=CHICAGO,
        causes=["Ice / snow", "Trees & vegetation"],
        location=LOCATION,
        criteria=CRITERIA,
        facilities=[jc, mf],
        total_members_affected=11_500,
        peak_members_out=10_000,
        peak_at=START,
        steps=[StepRow(local(*t), f, r, o) for t, f, r, o in STEPS],
        total_member_minutes=jc.member_minutes + mf.member_minutes,
        due_at=summary_report_due(RESTORED, zone=CHICAGO, holidays=HOLIDAYS),
        timeline=[
            (START, 10_000),
            (local(2025, 11, 23, 11, 30), 6_000),
            (local(2025, 11, 23, 13, 20), 7_500),
            (local(2025, 11, 23, 14, 0), 2_500),
            (local(2025, 11, 23, 16, 15), 1_500),
            (local(2025, 11, 24, 9, 45), 500),
            (RESTORED, 0),
        ],
    )


AXE_JS = Path(__file__).resolve().parents[1] / "dashboards" / "static" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, *, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (each: id, impact, help and the nodes'
    selectors), injected from the npm package (the context needs ``bypass_csp=True``)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))",
        list(tags),
    )
    return found


def printed(content: bytes, suffix: str = ".xlsx") -> list[str]:
    """The pages a document prints on, as LibreOffice converts it to PDF (the text of each page): how a
    forwarded workbook looks on paper (issue 16).  Each call has its own LibreOffice profile, so calls never
    wait for each other's lock."""
    import subprocess
    import tempfile

    import pypdf

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"document{suffix}"
        source.write_bytes(content)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        reader = pypdf.PdfReader(Path(tmp) / "document.pdf")
        return [page.extract_text() for page in reader.pages]


def statements_per_request(api, connection, monkeypatch, url: str) -> Callable[[], int]:
    """A counter of the SQL statements one warm ``GET url`` runs.  The process's timed checks (the account
    check, the facility layer's fingerprint, the console's significance memo) are held still, so one expiring
    between the warm call and the counted one cannot add a statement (CI once counted 20 for 19)."""
    for name in (
        "dashboards.deps.ACCOUNT_CHECK_SECONDS",
        "gis.network.FINGERPRINT_SECONDS",
        "outages.console.SIGNIFICANCE_SECONDS",
    ):
        monkeypatch.setattr(name, 3600.0)
    statements: list[str] = []
    event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def count() -> int:
        api("GET", url)  # warm: the facility facts, the account check
        statements.clear()
        response = api("GET", url)
        assert response.status_code == 200, response.text
        return len(statements)

    return count
