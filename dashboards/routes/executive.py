"""The executive dashboard's headline (issue 16): everything its first screen shows, in one answer."""

from fastapi import APIRouter

from dashboards.deps import Executive, ReadSession
from gis.db import utcnow
from reports.headline import Headline, executive_headline

router = APIRouter(tags=["executive"])


@router.get(
    "/api/executive/headline",
    response_model=Headline,
    summary="The executive's headline: members out and restored, significant incidents, notices, reports, trend",
)
def get_headline(db: ReadSession, _user: Executive) -> Headline:
    """Members out now and the share restored (the power state: each member once), one line per open
    significant incident (why in plain words, ETR or "being assessed", whether the initial notice was
    delivered, and the evidence), notices and failed deliveries, summary reports due and overdue,
    year-to-date SAIDI/SAIFI/CAIDI of this year and the four before (same calendar period, with and without
    major event days) and this year's worst feeders on normal days."""
    return executive_headline(session=db, now=utcnow())
