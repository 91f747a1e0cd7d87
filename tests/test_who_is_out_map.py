"""Everything shows the one power state (issue 12, domain D15): the public map's areas and totals, a member's
own page and the console's incidents count the union of the open records' dark sets, never a sum of the
records' counts; a fuse record below a closed feeder record keeps its members out; members nobody has located
are shown apart; nothing is ever above 100 %.

Counts come from the tiny cooperative (tests/factories.py): JC-014 serves 10,000 (meters 1-10,000), recloser
R1 the last 6,000 of them (4,001-10,000), fuse F1 below R1 the last 1,000 (9,001-10,000); JC-015 500 and
MF-001 1,500; transmission line TL-001 feeds both substations (all 12,000).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from gis.models import Device, Feeder, ServicePoint, TransmissionLine
from gis.network import network
from outages.affected import point_state
from outages.classify import FacilityFacts
from outages.models import (
    Incident,
    Interruption,
    InterruptionPoint,
    RestorationStep,
    StepPoint,
)
from outages.overview import members_out_now, open_incidents
from outages.power_state import out_now
from outages.public_map import PublicMapSettings, compute_figures
from tests.factories import COMMUNITY, MEMBERS, TOTAL, VIA_F1, VIA_R1, facility_layers
from tests.helpers import active_member, log_on_map, map_figures, minutes_ago, whole_second_now

F1_METER = "M00009500"  # below fuse F1 (and so below R1)
R1_METER = "M00005000"  # below R1, above F1
FEEDER_METER = "M00000100"  # on JC-014, on no device


def _point(n: int) -> dict:
    return {"account_number": f"{1_000_000_000 + n}", "meter_number": f"M{n:08d}"}


def _in_community(feeder: str, first: int = 0, last: int | None = None) -> int:
    """Members of a feeder (its ``first``..``last`` service points in the factory's order) inside the community,
    counted from the factory's geometry."""
    sp = facility_layers()["service_points"]
    mine = sp[sp.feeder_id == feeder].iloc[first:last]
    return int(shapely.contains(COMMUNITY, mine.geometry.values).sum())


def _ids(session) -> dict:
    feeders = dict(session.execute(select(Feeder.code, Feeder.id)).all())
    devices = dict(session.execute(select(Device.code, Device.id)).all())
    lines = dict(session.execute(select(TransmissionLine.code, TransmissionLine.id)).all())
    subs = dict(session.execute(select(Feeder.id, Feeder.substation_id)).all())
    return {"feeder": feeders, "device": devices, "line": lines, "substation_of": subs}


def _record(
    session,
    ids,
    *,
    feeder=None,
    device=None,
    line=None,
    extent="facility",
    members_out=None,
    points=(),
    start=None,
    status="open",
    cause="wind",
    incident=None,
) -> Interruption:
    """A record written through the ORM, as the service stores it (facility, extent, located points)."""
    net = network(session)
    facility = (
        {"transmission_line_id": ids["line"][line]}
        if line
        else {"device_id": ids["device"][device]}
        if device
        else {"feeder_id": ids["feeder"][feeder]}
    )
    served = net.served(**facility)
    fid = ids["feeder"][feeder] if feeder else None
    record = Interruption(
        incident=incident or Incident(title="storm", created_by="test"),
        status=status,
        cause_code=cause,
        start_at=start or whole_second_now() - timedelta(hours=1),
        members_out=members_out or served,
        extent=extent,
        feeder_id=fid,
        substation_id=ids["substation_of"][fid] if fid else None,
        device_id=ids["device"][device] if device else None,
        transmission_line_id=ids["line"][line] if line else None,
        created_by="test",
        updated_by="test",
    )
    session.add(record)
    session.flush()
    if len(points):
        session.execute(
            insert(InterruptionPoint), [{"interruption_id": record.id, "service_point_id": int(p)} for p in points]
        )
    return record


# --- the public map ------------------------------------------------------------------------------------------


def test_two_whole_feeder_records_on_one_feeder_count_its_members_once(public):
    api = public
    log_on_map(api, feeder="JC-014", cause="wind", start_at=minutes_ago(60), members_out=10_000)
    log_on_map(api, feeder="JC-014", cause="lightning", start_at=minutes_ago(30), members_out=10_000)  # logged twice
    data = map_figures(api)
    assert data["totals"]["members_out"] == 10_000  # not 20,000
    assert data["totals"]["members_out_unlocated"] == 0
    assert data["totals"]["percent_out"] == round(100 * 10_000 / TOTAL, 2)
    assert data["totals"]["active_outages"] == 2
    areas = {a["code"]: a for a in data["areas"]}
    assert areas["CTY-BLANCO"]["members_out"] == 10_000
    assert areas["COM-JOHNSON-CITY"]["members_out"] == _in_community("JC-014")
    for a in data["areas"]:
        assert a["members_out"] <= a["members_served"] and a["percent_out"] <= 100

    # a device record and a part record inside the same feeder add nobody: all its members are out already
    log_on_map(api, feeder="JC-014", device="JC-014-R1", cause="wind", start_at=minutes_ago(20), members_out=VIA_R1)
    log_on_map(
        api, feeder="JC-014", cause="wind", start_at=minutes_ago(10), members_out=300
    )  # 300 unlocated: no room left
    data = map_figures(api)
    assert (data["totals"]["members_out"], data["totals"]["members_out_unlocated"]) == (10_000, 0)
    assert {a["code"]: a["members_out"] for a in data["areas"]}["CTY-BLANCO"] == 10_000

    # the transmission line: everyone, once
    log_on_map(
        api, feeder=None, transmission_line="TL-001", cause="power_supply", start_at=minutes_ago(5), members_out=TOTAL
    )
    data = map_figures(api)
    assert data["totals"]["members_out"] == TOTAL and data["totals"]["percent_out"] == 100.0
    assert all(a["members_out"] == a["members_served"] for a in data["areas"])


def test_unlocated_members_are_counted_apart_and_spread_by_where_the_members_are(public, session):
    api = public
    # part of JC-015 with 40 meters listed and 60 more nobody has located
    listed = [f"M{n:08d}" for n in range(10_001, 10_041)]
    made = log_on_map(
        api, feeder="JC-015", cause="vegetation", start_at=minutes_ago(30), members_out=100, meters=listed
    )
    assert made["extent"] == "part"
    data = map_figures(api)
    assert (data["totals"]["members_out"], data["totals"]["members_out_unlocated"]) == (100, 60)
    county = {a["code"]: a for a in data["areas"]}["CTY-BLANCO"]
    assert (county["members_out"], county["members_out_unlocated"]) == (100, 60)
    community = {a["code"]: a for a in data["areas"]}["COM-JOHNSON-CITY"]
    located_there = _in_community("JC-015", 0, 40)
    share = 60 * _in_community("JC-015") / MEMBERS["JC-015"]  # the unlocated, by where JC-015's members are
    assert community["members_out_unlocated"] == round(share)
    assert community["members_out"] == located_there + round(share)
    page = api("GET", "/map", as_=None).text
    assert 'id="mm-unlocated"' in page


# --- nested records: a fuse below a feeder ----------------------------------------------------------------------


def test_a_fuse_record_keeps_its_members_out_after_the_feeder_record_closes(public, mail, session):
    api = public
    below_f1, below_r1, on_feeder = (
        active_member(api, mail, email=f"{who}@example.org", point=_point(n))
        for who, n in (("fi", 9_500), ("re", 5_000), ("fe", 100))
    )
    feeder = log_on_map(api, feeder="JC-014", cause="wind", start_at=minutes_ago(90), members_out=10_000)
    ids = _ids(session)
    fuse = _record(
        session,
        ids,
        feeder="JC-014",
        device="JC-014-F1",
        members_out=VIA_F1,
        cause="animal",
        start=whole_second_now() - timedelta(minutes=80),
        incident=session.get(Incident, feeder["incident_id"]),
    )
    fuse.etr_at = whole_second_now() + timedelta(hours=3)
    session.commit()

    def status(headers) -> dict:
        return api("GET", "/api/members/me", as_=None, headers=dict(headers)).json()["service_points"][0]

    assert {status(h)["status"] for h in (below_f1, below_r1, on_feeder)} == {"out"}
    assert status(below_f1)["cause"] == "wind"  # the earliest record keeping it dark: the feeder's
    data = map_figures(api)
    assert data["totals"]["members_out"] == 10_000  # the fuse's 1,000 once
    [incident] = api("GET", "/api/incidents/open-overview").json()["incidents"]
    assert incident["members_out_now"] == 10_000
    detail = api("GET", f"/api/incidents/{feeder['incident_id']}").json()
    assert detail["members_out_now"] == 10_000  # the incident's union: not 11,000
    assert sorted(r["members_out_now"] for r in detail["records"]) == [VIA_F1, 10_000]  # each record its own
    listed = api("GET", "/api/incidents?status=open").json()["items"]
    assert [i["members_out_now"] for i in listed if i["id"] == feeder["incident_id"]] == [10_000]

    closed = api(
        "POST",
        f"/api/interruptions/{feeder['id']}/close",
        json={"version": feeder["version"], "restored_at": minutes_ago(2)},
    )
    assert closed.status_code == 200, closed.text
    data = map_figures(api)
    assert (data["totals"]["members_out"], data["totals"]["members_out_unlocated"]) == (VIA_F1, 0)
    areas = {a["code"]: a for a in data["areas"]}
    assert areas["CTY-BLANCO"]["members_out"] == VIA_F1
    assert areas["CTY-BLANCO"]["status"] == "reported" and areas["CTY-BLANCO"]["cause"] == "animal"  # no crew
    assert areas["CTY-BLANCO"]["etr"]  # the fuse record's, the only one open
    assert areas["COM-JOHNSON-CITY"]["members_out"] == _in_community("JC-014", 10_000 - VIA_F1)
    mine = status(below_f1)
    assert mine["status"] == "out" and mine["cause"] == "animal"
    assert mine["out_since"] and mine["etr_at"]
    assert status(below_r1)["status"] == "on" and status(on_feeder)["status"] == "on"
    [incident] = api("GET", "/api/incidents/open-overview").json()["incidents"]
    assert incident["members_out_now"] == VIA_F1

    # a member below the fuse who reports joins the fuse record, the others make a probable outage
    report = api("POST", "/api/members/outage-reports", as_=None, json=_point(9_600))
    assert report.json()["status"] == "confirmed"
    assert api("POST", "/api/members/outage-reports", as_=None, json=_point(5_100)).json()["status"] == "open"


def test_possibly_out_only_where_a_record_above_has_unlocated_members(public, mail, session):
    api = public
    below_f1, on_mf = (
        active_member(api, mail, email=f"{who}@example.org", point=_point(n))
        for who, n in (("fi", 9_500), ("mf", 10_600))
    )

    def status(headers) -> str:
        return api("GET", "/api/members/me", as_=None, headers=dict(headers)).json()["service_points"][0]["status"]

    # 20 of R1's 6,000 are out, nobody knows which: possibly out below R1, on elsewhere
    part = log_on_map(api, feeder="JC-014", device="JC-014-R1", cause="wind", start_at=minutes_ago(30), members_out=20)
    assert status(below_f1) == "possibly_out" and status(on_mf) == "on"
    # the fuse's whole 1,000 out: below F1 is out, not possibly out
    fuse = log_on_map(
        api, feeder="JC-014", device="JC-014-F1", cause="wind", start_at=minutes_ago(20), members_out=VIA_F1
    )
    assert status(below_f1) == "out"
    closed = api(
        "POST",
        f"/api/interruptions/{fuse['id']}/close",
        json={"version": fuse["version"], "restored_at": minutes_ago(1)},
    )
    assert closed.status_code == 200, closed.text
    assert status(below_f1) == "possibly_out"
    # the unlocated 20 came back: nothing is left above the member
    step = api(
        "POST",
        f"/api/interruptions/{part['id']}/restorations",
        json={"version": part["version"], "at": minutes_ago(1), "members_restored": 20},
    )
    assert step.status_code in (200, 201), step.text
    assert status(below_f1) == "on"


# --- never above what is served ---------------------------------------------------------------------------------

FACILITIES = [
    ("feeder", "JC-014"),
    ("feeder", "JC-015"),
    ("feeder", "MF-001"),
    ("device", "JC-014-R1"),
    ("device", "JC-014-F1"),
    ("line", "TL-001"),
]
record_specs = st.lists(
    st.fixed_dictionaries(
        {
            "facility": st.sampled_from(FACILITIES),
            "kind": st.sampled_from(["whole", "unlocated", "meters"]),
            "share": st.floats(0.01, 1.0),
            "step": st.sampled_from([None, "JC-014-R1", "JC-014-F1", "count"]),
            "closed": st.booleans(),
            "incident": st.integers(0, 2),
        }
    ),
    min_size=1,
    max_size=8,
)


def _facility_kw(ids, kind: str, code: str) -> dict:
    return {"feeder": {"feeder": code}, "device": {"feeder": "JC-014", "device": code}, "line": {"line": code}}[kind]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=record_specs, seed=st.integers(0, 2**16))
def test_no_area_feeder_or_total_is_ever_above_what_it_serves(session, specs, seed):
    rng = np.random.default_rng(seed)
    nested = session.begin_nested()
    try:
        ids, net = _ids(session), network(session)
        incidents = [Incident(title=f"storm {k}", created_by="test") for k in range(3)]
        dark = np.zeros(net.size, bool)  # the located dark set, counted independently of OutNow
        start = whole_second_now() - timedelta(hours=2)
        for spec in specs:
            kind, code = spec["facility"]
            kw = _facility_kw(ids, kind, code)
            facility = (
                {"transmission_line_id": ids["line"][code]}
                if kind == "line"
                else {"device_id": ids["device"][code]}
                if kind == "device"
                else {"feeder_id": ids["feeder"][code]}
            )
            below = net.downstream_ids(**facility)
            served = len(below)
            n = max(1, int(served * spec["share"]))
            points = ()
            if spec["kind"] == "meters":
                points = rng.choice(below, size=min(n, served), replace=False)
                n = min(served, len(points) + int(rng.integers(0, 50)))
            extent = "facility" if spec["kind"] == "whole" or n >= served and not len(points) else "part"
            record = _record(
                session,
                ids,
                **kw,
                extent=extent,
                members_out=n if extent == "part" else served,
                points=points,
                start=start,
                incident=incidents[spec["incident"]],
            )
            keeps = {int(p) for p in (below if extent == "facility" else points)}
            step = spec["step"]
            if step in ("JC-014-R1", "JC-014-F1") and keeps:
                sub = {int(p) for p in net.downstream_ids(device_id=ids["device"][step])}
                back = keeps & sub
                if back and back != keeps:
                    record.steps.append(
                        RestorationStep(
                            at=start + timedelta(minutes=30),
                            members_restored=len(back),
                            device_id=ids["device"][step],
                            created_by="test",
                        )
                    )
                    keeps -= back
            elif step == "count" and len(points) > 1:
                back = {int(points[0])}
                made = RestorationStep(at=start + timedelta(minutes=30), members_restored=1, created_by="test")
                record.steps.append(made)
                session.flush()
                session.execute(insert(StepPoint), [{"step_id": made.id, "service_point_id": int(points[0])}])
                keeps -= back
            if spec["closed"]:
                record.steps.append(
                    RestorationStep(at=start + timedelta(minutes=60), members_restored=1, created_by="test")
                )
                record.status, record.restored_at = "closed", start + timedelta(minutes=60)
            elif keeps:
                dark[net.positions(keeps)] = True
            session.flush()

        state = out_now(session, net=net)
        assert state.located == int(dark.sum())  # the union, not a sum
        assert state.members_out <= net.size
        for f in ids["feeder"].values():
            located, unlocated = state.out_below(feeder_id=f)
            assert located + unlocated <= net.served(feeder_id=f)
        facts = FacilityFacts(session)
        figures = compute_figures(session=session, facts=facts, settings=PublicMapSettings(min_members=1), net=net)
        totals = figures["totals"]
        assert totals["members_out"] == state.members_out <= TOTAL
        assert totals["members_out"] - totals["members_out_unlocated"] == int(dark.sum())
        for area in figures["areas"]:
            assert 0 <= area["members_out_unlocated"] <= area["members_out"] <= area["members_served"], area
            assert area["percent_out"] <= 100.0
        for found in members_out_now(
            session=session, incidents=open_incidents(session=session), now=whole_second_now(), net=net
        ).values():
            assert found.members_out <= TOTAL
            assert found.located <= state.located
    finally:
        nested.rollback()
        session.expunge_all()


def test_point_state_of_an_unknown_service_point_is_on(session):
    missing = (session.scalar(select(ServicePoint.id).order_by(ServicePoint.id.desc()).limit(1)) or 0) + 1000
    assert point_state(session, missing).status == "on"


@pytest.mark.parametrize("meter", [F1_METER, R1_METER, FEEDER_METER])
def test_point_state_follows_the_records_that_keep_it_dark(session, meter):
    ids = _ids(session)
    sp = session.scalar(select(ServicePoint.id).where(ServicePoint.meter_number == meter))
    assert point_state(session, sp).status == "on"
    r1 = _record(session, ids, feeder="JC-014", device="JC-014-R1")
    found = point_state(session, sp)
    assert found.status == ("on" if meter == FEEDER_METER else "out")
    assert found.records == ([] if meter == FEEDER_METER else [r1])
