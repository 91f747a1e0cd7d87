"""Initial notices and daily updates of significant interruptions (domain D9, D10): their fields, and the
same content as plain text, HTML and PDF."""

from __future__ import annotations

from datetime import datetime
from html import escape

from outages.classify import Classification, FacilityFacts, facility_key
from outages.formatting import format_time
from outages.models import Incident
from outages.settings import DEFAULT_CAUSES
from reports.pdf import render_pdf


def approximately(members: int) -> str:
    """'about 21,300' for large counts, the exact number for small ones."""
    if members >= 1000:
        return f"about {round(members, -2):,}"
    return f"{members:,}"


def general_location(incident: Incident, facts: FacilityFacts) -> str:
    """Division, community and county names of the members affected — never addresses."""
    names: dict[str, set[str]] = {"division": set(), "community": set(), "county": set()}
    for record in incident.interruptions:
        if record.status == "voided":
            continue
        for area_id in facts.by_area.get(facility_key(record), {}):
            _code, name, kind = facts.areas[area_id]
            if kind in names:
                names[kind].add(name)
    parts = [", ".join(sorted(names["division"]))]
    if names["community"]:
        parts.append("communities: " + ", ".join(sorted(names["community"])))
    if names["county"]:
        parts.append("counties: " + ", ".join(sorted(names["county"])))
    return "; ".join(p for p in parts if p) or "the service territory"


def notice_fields(
    incident: Incident, result: Classification, facts: FacilityFacts, *, kind: str, sequence: int, now: datetime, zone
) -> dict:
    """Everything a notice says, frozen at the moment it is made (resends say the same)."""
    live = [r for r in incident.interruptions if r.status != "voided"]
    causes = sorted({r.cause_code for r in live} - {"unknown"})
    open_records = [r for r in live if r.status == "open"]
    etrs = [r.etr_at for r in open_records if r.etr_at is not None]
    closed_at = [r.restored_at for r in live if r.restored_at is not None]
    if open_records and len(etrs) == len(open_records):
        etr = format_time(max(etrs), zone)
    elif open_records:
        etr = "being assessed"
    else:  # every record closed; the classifier's restoration is None while a closing time is still ahead
        etr = "restored " + format_time(result.restored_at or max(closed_at), zone)
    # members out now as the power state counts them (each member once, D15), not a sum over the records
    out_now = result.members_out_now if result.ongoing else 0
    restored = sum(s.members_restored for r in live for s in r.steps if s.at <= now)
    return {
        "kind": kind,
        "sequence": sequence,
        "incident_id": incident.id,
        "title": incident.title,
        "location": general_location(incident, facts),
        "members_affected": approximately(max(result.peak_members_out, out_now)),
        "cause": ", ".join(DEFAULT_CAUSES.get(c, c) for c in causes) or "under investigation",
        "time_of_event": format_time(result.started_at, zone) if result.started_at else "not known",
        "etr": etr,
        "members_out_now": out_now,
        "members_restored_so_far": restored,
        "criteria": [c.evidence for c in result.criteria],
        "as_of": format_time(now, zone),
    }


def subject(fields: dict) -> str:
    head = "Initial notice" if fields["kind"] == "initial" else f"Daily update {fields['sequence']}"
    return f"{head}: significant interruption, {fields['location'].split(';')[0]}, {fields['members_affected']} members"


def _lines(fields: dict) -> list[tuple[str, str]]:
    lines = [
        ("General location", fields["location"]),
        ("Members affected", fields["members_affected"]),
        ("Cause", fields["cause"]),
        ("Time of the event", fields["time_of_event"]),
        ("Estimated time of full restoration", fields["etr"]),
    ]
    if fields["kind"] == "update":
        lines[2:2] = [
            ("Members out now", f"{fields['members_out_now']:,}"),
            ("Members restored so far", f"{fields['members_restored_so_far']:,}"),
        ]
    return lines


def notice_text(fields: dict, cooperative: str) -> str:
    rows = "\n".join(f"{label}: {value}" for label, value in _lines(fields))
    why = "\n".join(f"  - {c}" for c in fields["criteria"])
    return (
        f"{subject(fields)}\n{cooperative}, as of {fields['as_of']}\n\n{rows}\n\n"
        f"Why it is significant:\n{why}\n\nIncident {fields['incident_id']}: {fields['title']}\n"
    )


# A notice is read on one page or one screen: larger type than the house style's tables, and the fields as
# label / value rows (a label column, no column headings: there is nothing to head).
NOTICE_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; } h1 { font-size: 15pt; }
table.fields { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
table.fields th, table.fields td { border: 0.4pt solid #999; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
table.fields th { width: 30%; background: #e8eef4; }
"""


def _fields_table(fields: dict) -> str:
    rows = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in _lines(fields))
    return f"<table class='fields'><tbody>{rows}</tbody></table>"


def _body_html(fields: dict, cooperative: str) -> str:
    why = "".join(f"<li>{escape(c)}</li>" for c in fields["criteria"]) or "<li>(none recorded)</li>"
    return (
        f"<style>{NOTICE_STYLE}</style>"
        f"<h1>{escape(subject(fields))}</h1><p class='meta'>{escape(cooperative)}, as of "
        f"{escape(fields['as_of'])} · incident #{fields['incident_id']}: {escape(fields['title'])}</p>"
        f"{_fields_table(fields)}<h2>Why it is significant</h2><ul>{why}</ul>"
    )


def notice_html(fields: dict, cooperative: str) -> str:
    """The notice as an e-mail's HTML part (its own style: mail programs show no stylesheet of ours)."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(subject(fields))}</title>"
        f"</head><body>{_body_html(fields, cooperative)}</body></html>"
    )


def notice_pdf(fields: dict, cooperative: str) -> bytes:
    return render_pdf(subject(fields), _body_html(fields, cooperative))
