"""One router per domain, collected in :data:`routers` (API routes here, pages in ``dashboards.pages``)."""

from dashboards.pages import console, executive, facility_map, member_map
from dashboards.pages import members as member_pages
from dashboards.routes import (
    alerts,
    auth,
    facilities,
    incidents,
    interruptions,
    members,
    notices,
    registry,
    reliability,
    system,
)

routers = [
    system.router,
    auth.router,
    facilities.router,
    incidents.router,
    interruptions.router,
    registry.router,
    notices.router,
    reliability.router,
    members.router,
    alerts.router,
    member_map.router,
    console.router,
    executive.router,
    facility_map.router,
    member_pages.router,
]
