"""One router per domain, collected in :data:`routers` (API routes here, pages in ``dashboards.pages``)."""

from dashboards.pages import console as console_page
from dashboards.pages import executive as executive_page
from dashboards.pages import facility_map
from dashboards.pages import members as member_pages
from dashboards.routes import (
    alerts,
    auth,
    console,
    crews,
    executive,
    facilities,
    hazards,
    incidents,
    interruptions,
    members,
    notices,
    public_map,
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
    crews.router,
    hazards.router,
    console.router,
    registry.router,
    notices.router,
    reliability.router,
    executive.router,
    members.router,
    alerts.router,
    public_map.router,
    console_page.router,
    executive_page.router,
    facility_map.router,
    member_pages.router,
]
