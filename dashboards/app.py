"""The FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import event
from fastapi.responses import RedirectResponse

from dashboards import errors
from dashboards.routes import routers
from dashboards.scheduler import Scheduler
from dashboards.settings import get_settings
from gis.db import make_engine, make_sessionmaker


def create_app(*, database_url: str | None = None, scheduler: bool | None = None) -> FastAPI:
    """Build the app on a database (default: the configured one), with the in-process scheduler unless
    told otherwise (``OUTAGES_SCHEDULER=false`` when cron runs ``outages tick``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = None
        if get_settings().scheduler if scheduler is None else scheduler:
            runner = app.state.scheduler = Scheduler(app.state.sessions)
            # every committed change (only writes commit) wakes it to re-classify soon
            event.listen(app.state.sessions, "after_commit", lambda _session: runner.wake.set())
            runner.start()
        yield
        if runner:
            runner.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Cooperative outage and reliability service",
        summary="Interruption log, facility layer and reliability reporting for an electric cooperative.",
        version="0.1.0",
    )
    engine = make_engine(database_url or get_settings().database_url)
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.accounts = {}  # account checks, see dashboards.deps.current_user
    app.state.scheduler = None
    errors.install(app)
    for router in routers:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/docs")

    return app
