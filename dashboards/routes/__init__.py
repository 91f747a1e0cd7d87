"""One router per domain, collected in :data:`routers`."""

from dashboards.routes import auth, facilities, incidents, interruptions, registry, system

routers = [system.router, auth.router, facilities.router, incidents.router, interruptions.router,
           registry.router]
