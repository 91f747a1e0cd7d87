"""System routes: the public health check."""

from fastapi import APIRouter, Request
from sqlalchemy import text

from dashboards.deps import ReadSession
from outages.public_map import get_public_map_settings
from reports.map_health import PROBE_REUSE_SECONDS, map_health

router = APIRouter(tags=["system"])


@router.get("/api/health", summary="Liveness, database and public map check (public)")
def health(request: Request, db: ReadSession) -> dict:
    """The database answers; ``public_map``: ``ok``, ``stale`` (its snapshot is older than the limit, or none
    was written), ``down`` (its public address does not answer) or ``off`` (no snapshot configured), with the
    snapshot's age in seconds.  No other detail is told to the public."""
    db.execute(text("SELECT 1"))
    settings = getattr(request.app.state, "public_map_settings", None) or get_public_map_settings()
    public_map = map_health(settings=settings, reuse_seconds=PROBE_REUSE_SECONDS).public()
    return {"status": "ok", "database": db.get_bind().dialect.name, "public_map": public_map}
