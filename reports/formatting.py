"""How the reports and notices show times, durations and counts: English names whatever the process locale."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_name(zone: tzinfo) -> str:
    """The zone's IANA name ('America/Chicago'), or what it calls itself when it has none."""
    return getattr(zone, "key", None) or str(zone)


def format_time(moment: datetime, zone: tzinfo) -> str:
    """'Tue 25 Nov 2025 16:00 CST' (English names whatever the process locale)."""
    t = moment.astimezone(zone)
    return f"{DAYS[t.weekday()]} {t.day} {MONTHS[t.month - 1]} {t.year} {t.hour:02d}:{t.minute:02d} {t.tzname()}"


def format_date(moment: datetime, zone: tzinfo) -> str:
    """'Tue 25 Nov 2025'."""
    t = moment.astimezone(zone)
    return f"{DAYS[t.weekday()]} {t.day} {MONTHS[t.month - 1]} {t.year}"


def format_clock(moment: datetime, zone: tzinfo) -> str:
    """'16:00 CST'."""
    t = moment.astimezone(zone)
    return f"{t.hour:02d}:{t.minute:02d} {t.tzname()}"


def format_duration(duration: timedelta) -> str:
    """'52 h 15 min', truncated to the whole minute."""
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min"


def format_count(value: float) -> str:
    """Thousands separators, rounded to a whole number: 1935000.0 -> '1,935,000'."""
    return f"{round(value):,}"
