"""The public map's two plain feeds, built from the public figures (:func:`outages.public_map.compute_figures`) and
written with the snapshot (issue 15): an open feed for aggregators and a text list for the lightest phones.

:func:`odin_feed` follows DOE/ORNL's ODIN (Outage Data Initiative Nationwide) *PubOutages* profile as the issue
lists its fields: the outage area, customers affected and customers served, the reported start, the estimated
restoration, the status and the cause, with the time the figures were generated and the utility's name.  The
names are camelCase close to the profile's: ``outageArea`` (``code``, ``name``, ``kind``), ``customersAffected``,
``customersServed``, ``customersRestored`` (restored so far while the area is still out: partial restoration),
``outageStartTime``, ``estimatedRestorationTime`` (null: being assessed), ``outageStatus`` (the public status word
of D17: ``reported``, ``crew_assigned``, ``crew_on_site``), ``cause`` (``code`` and ``label``; null: under
investigation) and ``lastUpdated``; times in ISO 8601 UTC (``Z``).  One entry per shown area with members out,
and one for the whole system (``kind`` ``system``).  Counties and communities overlap (a community lies in a
county), so entries of different kinds are not to be added up: the system entry is the total.

:func:`text_list` is the same news as plain text, in English or Spanish, with local times (CST/CDT) and the
safety line with the co-op's phone number.

Privacy (D14): both carry the figures' aggregates only (areas under the minimum are not in the figures); no
point, member, registry entry or facility identifier.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from outages.formatting import format_count, format_time
from outages.members.texts import ALERT_DAYS_ES, ALERT_MONTHS_ES, TEXTS
from outages.public_map import least_advanced

PROFILE = "PubOutages"
LANGUAGES = ("en", "es")


def _at(iso: str) -> datetime:
    """An ISO 8601 time of the figures ('2025-06-02T15:00:00Z') as an aware datetime."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _affected(figures: dict) -> list[dict]:
    return [a for a in figures["areas"] if a["members_out"] > 0]


def _system_entry(figures: dict, *, utility: str) -> dict:
    """The whole system: its totals, the earliest start, the latest ETR when every affected area has one, the
    least advanced status and the cause with the most members out among the affected areas."""
    areas, totals = _affected(figures), figures["totals"]
    starts = [a["out_since"] for a in areas if a["out_since"]]
    etrs = [a["etr"] for a in areas]
    causes: dict[str, int] = {}
    labels: dict[str, str] = {}
    for a in areas:
        if a["cause"]:
            causes[a["cause"]] = causes.get(a["cause"], 0) + a["members_out"]
            labels[a["cause"]] = a["cause_label"] or a["cause"]
    cause = max(sorted(causes), key=lambda c: causes[c]) if causes else None
    out = totals["members_out"]
    return {
        "outageArea": {"code": "system", "name": utility, "kind": "system"},
        "customersAffected": out,
        "customersServed": totals["members_served"],
        "customersRestored": totals.get("members_restored", 0),
        "outageStartTime": min(starts, key=_at) if starts else None,
        "estimatedRestorationTime": max(etrs, key=_at) if etrs and all(etrs) else None,
        "outageStatus": least_advanced(a["status"] for a in areas if a["status"] and a["status"] != "restored")
        if out
        else None,
        "cause": {"code": cause, "label": labels[cause]} if cause else None,
        "lastUpdated": max((a["last_updated"] for a in areas if a["last_updated"]), key=_at, default=None)
        or figures["as_of"],
    }


def _area_entry(area: dict) -> dict:
    return {
        "outageArea": {"code": area["code"], "name": area["name"], "kind": area["kind"]},
        "customersAffected": area["members_out"],
        "customersServed": area["members_served"],
        "customersRestored": area.get("members_restored", 0),
        "outageStartTime": area["out_since"],
        "estimatedRestorationTime": area["etr"],
        "outageStatus": area["status"],
        "cause": {"code": area["cause"], "label": area["cause_label"]} if area["cause"] else None,
        "lastUpdated": area["last_updated"],
    }


def odin_feed(figures: dict, *, utility: str) -> dict:
    """The figures as an open feed with the fields of ODIN's PubOutages profile (see the module docstring): one
    entry for the system, then one per area with members out (most out first, as in the figures)."""
    outages = [_area_entry(a) for a in _affected(figures)]
    if figures["totals"]["members_out"] > 0:
        outages.insert(0, _system_entry(figures, utility=utility))
    return {
        "profile": PROFILE,
        "utility": utility,
        "generatedTime": figures["as_of"],
        "timezone": figures["timezone"],
        "customersServed": figures["totals"]["members_served"],
        "customersAffected": figures["totals"]["members_out"],
        "outages": outages,
    }


# --- the text list -------------------------------------------------------------------------------------------


def local_time(iso: str, *, language: str, zone: ZoneInfo) -> str:
    """A time as the list gives it, in the cooperative's zone: 'Tue 25 Nov 2025 16:00 CST' /
    'mar 25 nov 2025 16:00 CST'."""
    moment = _at(iso)
    if language != "es":
        return format_time(moment, zone)
    t = moment.astimezone(zone)
    return f"{ALERT_DAYS_ES[t.weekday()]} {t.day} {ALERT_MONTHS_ES[t.month - 1]} {t.year} {t:%H:%M} {t.tzname()}"


def _words(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    k = LANGUAGES.index(language)
    return {key: pair[k] for key, pair in TEXTS.items() if key.startswith(("map_", "text_", "cause_"))}


def _number(value: float) -> str:
    """Thousands with a comma, in both languages (as the Spanish of the United States writes them)."""
    return format_count(value)


def text_list(figures: dict, *, language: str, coop: str, phone: str, map_url: str = "") -> str:
    """The figures as a plain-text page in English (``en``) or Spanish (``es``): the co-op, the totals, the last
    update in local time, each affected area (members out of served, status, estimated restoration or "being
    assessed", out since, partial restoration, cause) and the safety line with the co-op's ``phone``."""
    w = _words(language)
    zone = ZoneInfo(figures["timezone"])
    totals = figures["totals"]
    when = lambda iso: local_time(iso, language=language, zone=zone)  # noqa: E731
    lines = [f"{coop}: {w['text_title']}", f"{w['map_last_updated']}: {when(figures['as_of'])}", ""]
    lines.append(
        w["text_totals"].format(
            out=_number(totals["members_out"]),
            served=_number(totals["members_served"]),
            percent=f"{totals['percent_out']:.1f}",
            outages=_number(totals["active_outages"]),
        )
    )
    if totals.get("members_out_unlocated"):
        lines.append(w["map_unlocated"].format(n=_number(totals["members_out_unlocated"])))
    if totals.get("members_restored"):
        lines.append(w["text_partial"].format(n=_number(totals["members_restored"])))
    lines.append("")
    areas = _affected(figures)
    if not areas:
        lines.append(w["map_none"])
    else:
        lines.append(f"{w['map_active_areas']}:")
    for a in areas:
        lines.append("")
        kind = w.get(f"map_{a['kind']}", a["kind"])
        # "Gillespie County", not "Gillespie County (condado)": a name that says its kind is given alone
        named = a["kind"].lower() in a["name"].lower()
        lines.append(f"* {a['name']}" if named else f"* {a['name']} ({kind})")
        lines.append(
            "  "
            + w["text_out_of"].format(out=_number(a["members_out"]), served=_number(a["members_served"]))
            + f" ({a['percent_out']:.1f} %)"
        )
        if a.get("members_out_unlocated"):
            lines.append("  " + w["map_unlocated"].format(n=_number(a["members_out_unlocated"])))
        if a["status"]:
            lines.append(f"  {w['map_status']}: {w.get('map_' + a['status'], a['status'])}")
        lines.append(f"  {w['map_etr']}: {when(a['etr']) if a['etr'] else w['map_assessing']}")
        if a["out_since"]:
            lines.append(f"  {w['map_since']}: {when(a['out_since'])}")
        if a.get("partial") and a.get("members_restored"):
            lines.append("  " + w["text_partial"].format(n=_number(a["members_restored"])))
        cause = w.get(f"cause_{a['cause']}", a["cause_label"]) if a["cause"] else w["map_unknown_cause"]
        lines.append(f"  {w['map_cause']}: {cause}")
    lines += ["", w["text_safety"].format(phone=phone)]
    if map_url:
        lines.append(w["text_full_map"].format(url=map_url))
    return "\n".join(lines) + "\n"
