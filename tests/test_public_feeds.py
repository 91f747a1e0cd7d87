"""The snapshot's plain feeds (issue 15): the open ODIN-style feed and the text list for the lightest phones, built
from the public figures of outages logged through the API (both databases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from outages.public_feeds import local_time, odin_feed, text_list
from tests.factories import TOTAL
from tests.helpers import log_on_map, map_figures, minutes_ago, whole_second_now

COOP, PHONE = "Test Co-op", "(830) 555-0100"
AREA_KEYS = {
    "outageArea",
    "customersAffected",
    "customersServed",
    "customersRestored",
    "outageStartTime",
    "estimatedRestorationTime",
    "outageStatus",
    "cause",
    "lastUpdated",
}
CHICAGO = ZoneInfo("America/Chicago")


def _ahead(hours: float) -> str:
    return (whole_second_now() + timedelta(hours=hours)).isoformat()


def _z(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _storm(api) -> dict:
    """JC-014 below R1 out (6,000, wind, with an ETR) and JC-015 out (500, vegetation, no ETR)."""
    r1 = log_on_map(
        api,
        feeder="JC-014",
        device="JC-014-R1",
        cause="wind",
        start_at=minutes_ago(30),
        members_out=6000,
        etr_at=_ahead(3),
    )
    west = log_on_map(api, feeder="JC-015", cause="vegetation", start_at=minutes_ago(40), members_out=500)
    return {"r1": r1, "west": west}


def test_odin_feed_has_the_profile_fields_per_affected_area_and_the_system(public):
    api = public
    quiet = odin_feed(map_figures(api), utility=COOP)
    assert quiet["outages"] == [] and quiet["customersAffected"] == 0 and quiet["customersServed"] == TOTAL

    made = _storm(api)
    figures = map_figures(api)
    feed = odin_feed(figures, utility=COOP)
    assert feed["profile"] == "PubOutages" and feed["utility"] == COOP
    assert feed["generatedTime"] == figures["as_of"] and feed["customersAffected"] == 6500
    system, *areas = feed["outages"]
    assert all(set(entry) == AREA_KEYS for entry in feed["outages"])
    assert system["outageArea"] == {"code": "system", "name": COOP, "kind": "system"}
    assert (system["customersAffected"], system["customersServed"]) == (6500, TOTAL)
    assert system["outageStartTime"] == _z(made["west"]["start_at"])  # the earliest start
    assert system["estimatedRestorationTime"] is None  # JC-015 has no ETR: being assessed
    assert system["outageStatus"] == "reported" and system["cause"] == {"code": "wind", "label": "Wind"}
    by_code = {a["outageArea"]["code"]: a for a in areas}
    assert set(by_code) == {"CTY-BLANCO", "COM-JOHNSON-CITY"}  # areas with members out only
    county = by_code["CTY-BLANCO"]
    assert county["outageArea"] == {"code": "CTY-BLANCO", "name": "Blanco County", "kind": "county"}
    assert (county["customersAffected"], county["customersServed"]) == (6500, TOTAL)
    assert county["outageStatus"] == "reported" and county["estimatedRestorationTime"] is None
    community = by_code["COM-JOHNSON-CITY"]
    assert community["cause"] == {"code": "vegetation", "label": "Vegetation"}
    # aggregates only (D14): no meter, account, feeder or device anywhere in the feed
    dumped = json.dumps(feed)
    for secret in ("M000", "1000005000", "JC-014", "JC-015", "R1"):
        assert secret not in dumped

    # JC-015 gets an ETR: every open record has one, the feed gives the latest
    west = made["west"]
    etr = _ahead(1)
    assert (
        api("PUT", f"/api/interruptions/{west['id']}/etr", json={"version": west["version"], "etr_at": etr}).status_code
        == 200
    )
    system = odin_feed(map_figures(api), utility=COOP)["outages"][0]
    assert system["estimatedRestorationTime"] == _z(made["r1"]["etr_at"])


def test_text_list_in_english_and_spanish_with_local_times_and_the_safety_line(public):
    api = public
    made = _storm(api)
    figures = map_figures(api)
    english = text_list(figures, language="en", coop=COOP, phone=PHONE, map_url="https://coop.example/map")
    spanish = text_list(figures, language="es", coop=COOP, phone=PHONE)
    zone_word = datetime.now(CHICAGO).tzname()  # CST or CDT, never GMT-6
    assert zone_word in ("CST", "CDT")
    start = datetime.fromisoformat(made["west"]["start_at"]).astimezone(CHICAGO)
    for expected in (
        f"{COOP}: Outage list",
        f"Last updated: {local_time(figures['as_of'], language='en', zone=CHICAGO)}",
        f"6,500 of {TOTAL:,} members out of power",
        "2 active outages",
        "* Blanco County\n",
        f"6,500 of {TOTAL:,} members out",
        "Status: Reported",
        "Estimated restoration: Being assessed",
        f"Out since: {start:%a} {start.day} {start:%b %Y %H:%M} {zone_word}",
        "Cause: Wind",
        "Cause: Vegetation",
        f"A downed line is always live: stay 35 feet away and call 911, then the co-op at {PHONE}.",
        "Map and more: https://coop.example/map",
    ):
        assert expected in english, (expected, english)
    for expected in (
        f"{COOP}: Lista de apagones",
        "Última actualización: ",
        f"6,500 de {TOTAL:,} socios sin electricidad",
        "* Blanco County\n",  # not "Blanco County (condado)"
        "Estado: Reportado",
        "Restablecimiento estimado: En evaluación",
        "Causa: Viento",
        "Causa: Vegetación",
        f"llame al 911, y después a la cooperativa al {PHONE}.",
    ):
        assert expected in spanish, (expected, spanish)
    assert "condado)" not in spanish and "GMT" not in english + spanish
    assert f" {zone_word}" in spanish
    for secret in ("M000", "JC-014", "R1"):
        assert secret not in english + spanish

    # an ETR on both: the list gives it in local time; the community then shows it too
    west = made["west"]
    etr = _ahead(1)
    api("PUT", f"/api/interruptions/{west['id']}/etr", json={"version": west["version"], "etr_at": etr})
    english = text_list(map_figures(api), language="en", coop=COOP, phone=PHONE)
    latest = local_time(_z(made["r1"]["etr_at"]), language="en", zone=CHICAGO)
    assert f"Estimated restoration: {latest}" in english


def test_text_list_shows_a_partial_restoration(public):
    api = public
    record = log_on_map(api, feeder="JC-014", cause="wind", start_at=minutes_ago(50), members_out=10_000)
    step = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": record["version"], "at": minutes_ago(5), "device": "JC-014-F1"},
    )
    assert step.status_code == 200, step.text
    figures = map_figures(api)
    county = next(a for a in figures["areas"] if a["code"] == "CTY-BLANCO")
    assert county["partial"] and county["members_restored"] == 1000
    english = text_list(figures, language="en", coop=COOP, phone=PHONE)
    spanish = text_list(figures, language="es", coop=COOP, phone=PHONE)
    assert "Partly restored: 1,000 members back so far" in english
    assert "Restablecido en parte: 1,000 socios ya tienen luz" in spanish
    assert odin_feed(figures, utility=COOP)["outages"][0]["customersRestored"] == 1000


def test_no_outage_and_times_across_daylight_saving():
    figures = {
        "as_of": "2025-01-15T18:30:00Z",
        "timezone": "America/Chicago",
        "totals": {
            "members_served": 12_000,
            "members_out": 0,
            "members_out_unlocated": 0,
            "percent_out": 0.0,
            "active_outages": 0,
            "areas_affected": 0,
        },
        "areas": [],
    }
    english = text_list(figures, language="en", coop=COOP, phone=PHONE)
    assert "Last updated: Wed 15 Jan 2025 12:30 CST" in english
    assert "No outages are reported right now." in english and PHONE in english
    summer = text_list(figures | {"as_of": "2025-07-15T18:30:00Z"}, language="es", coop=COOP, phone=PHONE)
    assert "Última actualización: mar 15 jul 2025 13:30 CDT" in summer
    assert "No hay apagones reportados en este momento." in summer
    with pytest.raises(ValueError, match="language must be one of en, es"):
        text_list(figures, language="fr", coop=COOP, phone=PHONE)
