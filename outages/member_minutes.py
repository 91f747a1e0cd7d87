"""Duration and member-minutes of interruption records (domain D2, D12)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def member_minutes(start: datetime, steps: Iterable[tuple[datetime, int]]) -> float:
    """Member-minutes of one interruption record.

    .. math:: MM = \\sum_k n_k \\, (t_k - t_0)

    Parameters
    ----------
    start : datetime
        Start of the interruption :math:`t_0` (zone-aware).
    steps : iterable of (datetime, int)
        Restoration steps: time :math:`t_k` (zone-aware) and members restored :math:`n_k` [members].

    Returns
    -------
    float
        Member-minutes [member·min]; real elapsed time, so DST changes do not distort it.

    References
    ----------
    Cooperative rule "Reliability and Continuity of Service", summary report: "the total number of
    member-minutes (sum of the interruption durations times the number of members affected)";
    domain decision D12.  Example: 10,000 out at 10:00; 4,000 back at 11:30, 5,000 at 14:00 and
    1,000 at 16:15 give 4,000×90 + 5,000×240 + 1,000×375 = 1,935,000.
    """
    return sum(n * (at - start).total_seconds() / 60.0 for at, n in steps)


def duration_minutes(start: datetime, restored: datetime | None) -> float | None:
    """Minutes from the first start to full restoration [min], or None while open (D2)."""
    return None if restored is None else (restored - start).total_seconds() / 60.0


def members_out_at(members_out: int, steps: Iterable[tuple[datetime, int]], at: datetime) -> int:
    """Members still out at a moment: those interrupted less those restored by then [members]."""
    return members_out - sum(n for t, n in steps if t <= at)
