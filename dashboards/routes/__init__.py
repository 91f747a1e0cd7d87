"""One router per domain, collected in :data:`routers`."""

from dashboards.routes import auth, facilities, incidents, interruptions, notices, registry, reliability, system

routers = [system.router, auth.router, facilities.router, incidents.router, interruptions.router,
           registry.router, notices.router, reliability.router]
