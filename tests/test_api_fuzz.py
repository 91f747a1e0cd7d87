"""The API fuzzed from its own OpenAPI document (issue 11): every operation, with inputs schemathesis makes
up (valid and invalid), sent as each role — dispatcher, executive, registry keeper, admin, a member and
nobody.  No answer may be a 5xx, and every answer must be one the document declares, in the shape it
declares (status, content type, body schema).

The requests go through the app in-process (ASGI) into the test's own transaction, which is rolled back
afterwards: nothing the fuzzer writes (nor the sign-in counts it runs up) reaches other tests.  The members'
e-mails the fuzzer sets off go to the configured SMTP server, 127.0.0.1:25 by default, where nothing listens
in tests; the notice made for the fuzzer to read is "sent" to a closed port.  Nothing leaves the machine.

Then the error contract directly: integers beyond 64 bits wherever the document takes one, unknown things
named in a body, and the document's own error declarations."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from dashboards import errors
from dashboards.app import create_app
from dashboards.settings import get_settings
from dashboards.users import DEMO_MEMBER, ensure_demo_member
from gis.db import utcnow
from outages.crews.models import Crew, CrewAssignment
from outages.members import service as members
from outages.members.models import AlertRecipient, MemberAccount
from outages.models import Incident, Interruption
from registry.models import RegistryEntry
from reports.delivery import SmtpSettings
from reports.flow import tick
from reports.models import Notice, SummaryReport
from tests.factories import COOPERATIVE
from tests.helpers import PASSWORDS, free_port

# The schema is read from an app on a throwaway database: the document does not depend on the data.
# Each request is sent to the test's app (the `app` fixture), bound to the test's transaction.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(database_url="sqlite://", scheduler=False))

ROLES = ("dispatcher", "executive", "registry", "admin", "member", None)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# generated examples per operation (fuzzing phase; the coverage phase adds its boundary cases), each sent as every
# role; OUTAGES_FUZZ_EXAMPLES=200 for a deeper run on demand
EXAMPLES = int(os.environ.get("OUTAGES_FUZZ_EXAMPLES", "12"))


# Field name -> values that exist in the test's data (filled by the `as_role` fixture).  A generated path,
# query or body value of that name is most often swapped for one of them (the generated one stays a choice), so
# that the fuzzer gets past "not found" to the records, reports and sign-ins themselves (on PostgreSQL ids are
# not reused after a rollback, so random ids alone would hardly ever name a row).
KNOWN: dict[str, list] = {}


def _known(values):
    if not isinstance(values, dict) or not any(k in KNOWN for k in values):
        return st.just(values)
    return st.fixed_dictionaries(
        {k: st.sampled_from([v, *KNOWN[k]]) if k in KNOWN else st.just(v) for k, v in values.items()}
    )


@schema.hook
def flatmap_path_parameters(_context, path_parameters):
    return _known(path_parameters)


@schema.hook
def flatmap_query(_context, query):
    return _known(query)


@schema.hook
def flatmap_body(_context, body):
    return _known(body)


@pytest.fixture
def as_role(api, sessions, tokens) -> dict[str | None, dict[str, str]]:
    """Headers per role, and a little of everything to find: an open record, a closed one, a significant
    incident over 24 h with its notice (its delivery failed) and summary report, a registry entry with a
    contact, an active member with two service points, and a crew on shift sent to the open record."""
    for body in (
        {"feeder": "JC-014", "cause": "vegetation", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 120},
        {
            "feeder": "MF-001",
            "cause": "wind",
            "start_at": "2025-06-02T10:00:00-05:00",
            "restored_at": "2025-06-02T12:00:00-05:00",
            "members_out": 40,
        },
        {
            "feeder": "JC-014",
            "cause": "ice_snow",
            "start_at": "2025-05-01T10:00:00-05:00",
            "restored_at": "2025-05-02T12:00:00-05:00",
            "members_out": 10_000,
        },
    ):
        assert api("POST", "/api/interruptions", json=body).status_code == 201
    entry = {
        "name": "Pedernales Valley Hospital",
        "category": "hospital",
        "priority_tier": 1,
        "account_number": "1000009500",
        "meter_number": "M00009500",
        "contacts": [{"name": "Dana Ruiz", "phone": "(512) 555-0142", "email": "dana@example.org"}],
    }
    assert api("POST", "/api/registry/entries", as_="registry", json=entry).status_code == 201
    crew = api("POST", "/api/crews", json={"name": "Line 1", "kind": "line", "division": "DIV-JC", "on_shift": True})
    assert crew.status_code == 201, crew.text
    open_record = api("GET", "/api/interruptions", params={"status": "open"}).json()["items"][0]
    sent = api("POST", f"/api/interruptions/{open_record['id']}/crews", json={"crew_id": crew.json()["id"]})
    assert sent.status_code == 201, sent.text
    down = SmtpSettings(host="127.0.0.1", port=free_port(), recipients="ceo@example.org", timeout=2)
    assert tick(sessions, cooperative=COOPERATIVE, now=datetime(2025, 5, 3, 18, tzinfo=UTC), smtp=down).notices
    with sessions() as session:
        ensure_demo_member(session=session)
        session.commit()
        member = session.scalar(select(MemberAccount).where(MemberAccount.email == DEMO_MEMBER[0]))
        points = members.service_points_of(session=session, account_id=member.id)
        ids = {
            name: list(session.scalars(select(model.id)))
            for name, model in (
                ("incident_id", Incident),
                ("interruption_id", Interruption),
                ("entry_id", RegistryEntry),
                ("notice_id", Notice),
                ("report_id", SummaryReport),
                ("recipient_id", AlertRecipient),
                ("crew_id", Crew),
                ("assignment_id", CrewAssignment),
            )
        }
    assert all(ids.values()), ids
    KNOWN.clear()
    KNOWN.update(
        ids,
        year=[2024, 2025],
        feeder=["JC-014", "JC-015", "MF-001"],
        substation=["JC-S01"],
        device=["JC-014-R1", "JC-014-F1"],
        cause=["vegetation", "wind"],
        account_number=[p.account_number for p in points],
        meter_number=[p.meter_number for p in points],
        username=["dispatcher", DEMO_MEMBER[0]],
        password=[PASSWORDS["dispatcher"], DEMO_MEMBER[1]],
        email=[DEMO_MEMBER[0]],
    )
    settings_ = get_settings()
    signed_in = jwt.encode(
        {"sub": f"member:{member.id}", "kind": "member", "exp": utcnow() + timedelta(minutes=settings_.token_minutes)},
        settings_.signing_key,
        algorithm="HS256",
    )
    headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
    return headers | {"member": {"Authorization": f"Bearer {signed_in}"}, None: {}}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_every_operation_as_every_role(case, app, as_role):
    for role in ROLES:
        case.call_and_validate(app=app, headers=as_role[role], checks=CHECKS)


# --- integers beyond 64 bits, in every place the document takes an integer --------------------------

DOC = schema.raw_schema


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = DOC["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _is_integer(node: dict) -> bool:
    node = _resolve(node)
    return node.get("type") == "integer" or any(_is_integer(n) for n in node.get("anyOf", []))


def _integers():
    """(method, path, where, name) of every integer the API takes: path, query and JSON body fields."""
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            places = [
                (p["in"], p["name"], p["schema"]) for p in op.get("parameters", []) if p["in"] in ("path", "query")
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                places += [
                    ("body", name, prop) for name, prop in _resolve(body["schema"]).get("properties", {}).items()
                ]
            for where, name, node in places:
                if _is_integer(node):
                    yield pytest.param(method.upper(), path, where, name, id=f"{method.upper()} {path} {where}:{name}")


def _placeholder(op: dict, name: str) -> str:
    """Any value that lets the path match its route: an integer, or the first format a path allows."""
    node = _resolve(next(p["schema"] for p in op["parameters"] if p["name"] == name))
    return "1" if _is_integer(node) else str(node.get("enum", ["x"])[0])


@pytest.mark.parametrize(("method", "path", "where", "name"), list(_integers()))
def test_integers_out_of_range_are_a_4xx_naming_the_field(api, as_role, method, path, where, name):
    op = DOC["paths"][path][method.lower()]
    for value in (2**63, 2**64, -(2**64)):
        url = re.sub(
            r"{(\w+)}", lambda m, value=value: str(value) if m.group(1) == name else _placeholder(op, m.group(1)), path
        )
        params = {name: str(value)} if where == "query" else None
        body = {name: value} if where == "body" else None
        answers = {
            role: api.client.request(method, url, params=params, json=body, headers=as_role[role]) for role in ROLES
        }
        assert all(r.status_code < 500 for r in answers.values()), {k: r.text for k, r in answers.items()}
        past_sign_in = {role: r for role, r in answers.items() if r.status_code not in (401, 403)}
        assert past_sign_in, "no role may use this operation"
        for role, answer in past_sign_in.items():
            problem = answer.json()
            named = {problem.get("field")} | {p.get("field") for p in problem.get("problems") or []}
            assert answer.status_code == 422 and name in named, (value, role, answer.status_code, problem)


# --- the error contract, directly ---------------------------------------------------------------------


def test_the_document_declares_the_error_answers_the_api_gives():
    assert not {"HTTPValidationError", "ValidationError"} & set(DOC["components"]["schemas"])
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            responses, where = op["responses"], f"{method.upper()} {path}"
            assert responses["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }, where
            if op.get("security"):
                assert "401" in responses, where
            if any(p["in"] == "path" for p in op.get("parameters", [])):
                assert "404" in responses, where
    assert "403" in DOC["paths"]["/api/users"]["post"]["responses"]
    assert "403" not in DOC["paths"]["/api/members/me"]["get"]["responses"]  # members have no roles
    assert {"401", "429"} <= set(DOC["paths"]["/api/auth/token"]["post"]["responses"])
    bound = DOC["components"]["schemas"]["RestorationCreate"]["properties"]["version"]["maximum"]
    assert bound == 2**63 - 1 and isinstance(bound, int)  # exact, not 9.223372036854776e18


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/interruptions", {"feeder": "NOPE"}, "feeder"),
        ("/api/interruptions", {"feeder": "JC-014", "device": "NOPE"}, "device"),
        ("/api/interruptions", {"transmission_line": "NOPE"}, "transmission_line"),
        ("/api/interruptions", {"feeder": "JC-014", "incident_id": 999_999}, "incident_id"),
        ("/api/probable-outages/confirm", {"feeder": "NOPE"}, "feeder"),
        (
            "/api/incidents/{incident}/contact-attempts",
            {"entry_id": 999_999, "contact_name": "Dana Ruiz", "outcome": "reached"},
            "entry_id",
        ),
    ],
)
def test_an_unknown_thing_named_in_a_body_is_a_422_naming_its_field(api, as_role, url, body, field):
    base = {"cause": "wind", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 5}
    url = url.format(incident=KNOWN["incident_id"][0])
    answer = api("POST", url, json=(base | body) if url == "/api/interruptions" else body)
    assert (answer.status_code, answer.json().get("field")) == (422, field), answer.text
    assert "Fix" in answer.json()["detail"]


def test_an_unknown_feeder_for_a_registry_entry_is_a_422_naming_it(api, as_role):
    answer = api(
        "POST",
        "/api/registry/entries",
        as_="registry",
        json={"name": "Somewhere Clinic", "category": "hospital", "feeder": "NOPE", "lon": -98.4, "lat": 30.27},
    )
    assert (answer.status_code, answer.json().get("field")) == (422, "feeder"), answer.text


def test_a_missing_path_is_404_and_a_step_on_a_closed_record_409(api, as_role):
    assert api("GET", "/api/incidents/999999").status_code == 404
    assert (
        api("POST", "/api/interruptions/999999/void", json={"version": 1, "reason": "typed twice"}).status_code == 404
    )
    closed = next(r for r in api("GET", "/api/interruptions", params={"status": "closed"}).json()["items"])
    step = api(
        "POST",
        f"/api/interruptions/{closed['id']}/restorations",
        json={"version": closed["version"], "at": "2025-06-02T11:00:00-05:00", "members_restored": 1},
    )
    assert step.status_code == 409 and "closed" in step.json()["detail"]


def test_a_stray_overflow_from_the_driver_is_a_422_not_a_500():
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    answer = TestClient(app).get("/boom")
    assert answer.status_code == 422 and "Fix" in answer.json()["detail"]
