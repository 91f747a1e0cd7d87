"""How the service shows times, durations and counts to people (reports, notices and the staff API's
messages): English names whatever the process locale, times in the cooperative's zone (D2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from outages.settings import get_rule_settings

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_name(zone: tzinfo) -> str:
    """The zone's IANA name ('America/Chicago'), or what it calls itself when it has none."""
    return getattr(zone, "key", None) or str(zone)


def _in(moment: datetime, zone: tzinfo) -> datetime:
    """The moment in ``zone``; in UTC when the zone's clock lies outside the calendar (the first hours of the
    year 1 west of Greenwich, the last ones of 9999 east of it)."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(UTC)


def _day(t: datetime) -> str:
    # years before 1000 keep four digits ('0025'): a mistyped year shows as typed
    return f"{DAYS[t.weekday()]} {t.day} {MONTHS[t.month - 1]} {t.year:04d}"


def format_time(moment: datetime, zone: tzinfo) -> str:
    """'Tue 25 Nov 2025 16:00 CST' (English names whatever the process locale)."""
    t = _in(moment, zone)
    return f"{_day(t)} {t.hour:02d}:{t.minute:02d} {t.tzname()}"


def format_date(moment: datetime, zone: tzinfo) -> str:
    """'Tue 25 Nov 2025'."""
    return _day(_in(moment, zone))


def format_clock(moment: datetime, zone: tzinfo) -> str:
    """'16:00 CST'."""
    t = _in(moment, zone)
    return f"{t.hour:02d}:{t.minute:02d} {t.tzname()}"


def format_duration(duration: timedelta) -> str:
    """'52 h 15 min', truncated to the whole minute."""
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min"


def format_count(value: float) -> str:
    """Thousands separators, rounded to a whole number: 1935000.0 -> '1,935,000'."""
    return f"{round(value):,}"


def format_local(moment: datetime) -> str:
    """:func:`format_time` in the cooperative's zone (``OUTAGES_TIMEZONE``): how the staff API's messages give
    times, as the console shows them."""
    return format_time(moment, get_rule_settings().zone)
