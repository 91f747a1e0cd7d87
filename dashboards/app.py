"""The FastAPI application."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import event

from dashboards import errors, guards
from dashboards.pages.templating import STATIC_DIR
from dashboards.public_site import public_site
from dashboards.routes import routers
from dashboards.scheduler import Worker
from dashboards.settings import get_settings
from gis.db import make_engine, make_sessionmaker
from outages.public_map import PublicMapSettings
from reports.flow import tick
from reports.headline import keep_warm
from reports.member_alerts import alert_round


def create_app(
    *, database_url: str | None = None, scheduler: bool | None = None, public_map: PublicMapSettings | None = None
) -> FastAPI:
    """Build the app on a database (default: the configured one), with the in-process scheduler unless
    told otherwise (``OUTAGES_SCHEDULER=false`` when cron runs ``outages tick``), and the public map's settings
    (default: the environment's)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings, workers = get_settings(), []
        if settings.scheduler if scheduler is None else scheduler:
            workers = [
                Worker(
                    "outages-scheduler",
                    app.state.sessions,
                    partial(tick, cooperative=settings.cooperative_name, public_map=public_site(app.state).settings),
                    every=30,
                    at_least=5,
                ),
                Worker("outages-reliability", app.state.readers, keep_warm, every=600, at_least=10),
                Worker(
                    "outages-alerts",
                    app.state.sessions,
                    partial(alert_round, coop=settings.cooperative_name, public_url=settings.public_base),
                    every=10,
                    at_least=0.2,
                ),
            ]
        if workers:
            # every committed change (only writes commit) wakes them
            def wake_workers(_session: object) -> None:
                for w in workers:
                    w.wake.set()

            event.listen(app.state.sessions, "after_commit", wake_workers)
            for worker in workers:
                worker.start()
        app.state.workers = workers
        # what is loaded by now lives as long as the process: out of the collector's sight, so that a full
        # collection (tens of ms over every module's objects) never lands in the middle of a dispatcher's request
        gc.freeze()
        # a storm's answers make tens of thousands of short-lived objects (ORM rows, models): with the default
        # 700 they survived into full collections of 100 ms in one in three console refreshes (the storm
        # benchmark); 10,000 keeps them young and collected cheaply
        gc.set_threshold(10_000, 10, 10)
        yield
        for worker in workers:
            worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Cooperative outage and reliability service",
        summary="Interruption log, facility layer and reliability reporting for an electric cooperative.",
        version="0.1.0",
        dependencies=[Depends(guards.refuse_nul)],
    )
    engine = make_engine(database_url or get_settings().database_url)
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.readers = make_sessionmaker(engine, read_only=True)  # GET requests
    app.state.accounts = {}  # account checks, see dashboards.deps.current_user
    app.state.workers = []
    app.state.public_map_settings = public_map
    errors.install(app)
    guards.install(app, get_settings())
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/docs")

    return app
