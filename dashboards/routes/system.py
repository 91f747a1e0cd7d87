"""System routes: the public health check."""

from fastapi import APIRouter
from sqlalchemy import text

from dashboards.deps import ReadSession

router = APIRouter(tags=["system"])


@router.get("/api/health", summary="Liveness and database check (public)")
def health(db: ReadSession) -> dict:
    db.execute(text("SELECT 1"))
    return {"status": "ok", "database": db.get_bind().dialect.name}
