"""Working days and the summary report's due date (decision D11).

The summary report of a significant incident that lasted more than 24 hours is due "at the end of the
third working day after the day of full restoration".  Working days are Monday to Friday except the
cooperative's holidays.  The default holiday calendar is the US *federal* calendar (not the Texas state
days), with a holiday that falls on a weekend observed on the Friday before or the Monday after as the
federal calendar does, plus two cooperative days: the day after Thanksgiving and Christmas Eve
(24 December; when it falls on a weekend it is simply a weekend day and is not moved).  The calendar is
configuration: ``extra`` adds days, ``dropped`` removes them.

Choices worth knowing:

* The day of full restoration is the *local* calendar date of the restoration instant in the
  cooperative's zone (America/Chicago by default): 23:30 CST on 31 December is 05:30 UTC on 1 January,
  and its restoration day is 31 December.
* The restoration day itself never counts, whether or not it is a working day.
* When Christmas Day falls on a Saturday, the federal observed Christmas is Friday 24 December, which is
  also Christmas Eve: that is one holiday, and Christmas Eve is not moved to Thursday.
* The due moment is the last instant of the due day in local time, 23:59:59.999999, returned zone-aware
  in the cooperative's zone (convert with ``.astimezone(timezone.utc)`` for storage); a report filed at
  any instant ``<= due`` is on time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as _holidays

DEFAULT_ZONE = ZoneInfo("America/Chicago")
REPORT_WORKING_DAYS = 3
END_OF_DAY = time(23, 59, 59, 999999)


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _years(years: int | Iterable[int]) -> list[int]:
    return [years] if isinstance(years, int) else sorted(set(years))


def cooperative_holidays(
    years: int | Iterable[int], *, extra: Iterable[date] = (), dropped: Iterable[date] = ()
) -> set[date]:
    """The cooperative's holiday calendar for ``years``: the US federal holidays with their observed days,
    the day after Thanksgiving and Christmas Eve, plus ``extra``, minus ``dropped``.

    An observed day lands in the year it falls in (New Year's Day 2022, a Saturday, is observed on Friday
    31 December 2021, which belongs to the 2021 calendar), so pass every year a computation can reach:
    the restoration year and the next one for a due date (:func:`summary_report_due` does that itself
    when no calendar is given)."""
    wanted = _years(years)
    days: set[date] = set(_holidays.country_holidays("US", years=wanted).keys()) if wanted else set()
    for year in wanted:
        days.add(thanksgiving(year) + timedelta(days=1))
        days.add(date(year, 12, 24))
    days.update(extra)
    days.difference_update(dropped)
    return days


def is_working_day(day: date, holidays: set[date] | frozenset[date]) -> bool:
    """Monday to Friday and not in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(day: date, count: int, holidays: set[date] | frozenset[date]) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts); ``count`` >= 1."""
    if count < 1:
        raise ValueError("count must be at least 1")
    found = 0
    while found < count:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            found += 1
    return day


def working_days_between(start: date, end: date, holidays: set[date] | frozenset[date]) -> int:
    """The number of working days after ``start`` up to and including ``end`` (0 when ``end <= start``):
    ``working_days_between(restoration_day, today, ...)`` is how many working days have elapsed."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days += 1
    return days


def summary_report_due(
    restored_at: datetime,
    *,
    zone: ZoneInfo = DEFAULT_ZONE,
    holidays: set[date] | frozenset[date] | None = None,
    working_days: int = REPORT_WORKING_DAYS,
) -> datetime:
    """When the summary report of an incident fully restored at ``restored_at`` is due (D11).

    ``restored_at`` must be timezone-aware (any zone; stored times are UTC).  Its local date in ``zone``
    is the day of full restoration; the report is due at the end (23:59:59.999999 local) of the third
    working day after it.  The result is timezone-aware in ``zone``.  Without ``holidays`` the default
    :func:`cooperative_holidays` of the restoration year and the next is used."""
    if restored_at.tzinfo is None or restored_at.utcoffset() is None:
        raise ValueError("restored_at must be timezone-aware")
    restoration_day = restored_at.astimezone(zone).date()
    if holidays is None:
        holidays = cooperative_holidays([restoration_day.year, restoration_day.year + 1])
    due_day = add_working_days(restoration_day, working_days, holidays)
    return datetime.combine(due_day, END_OF_DAY, tzinfo=zone)
