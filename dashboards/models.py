"""Every ORM model of the service, imported in one place for migrations and create_all."""

from dashboards.limits import RateLimit  # noqa: F401
from dashboards.users import User  # noqa: F401
from gis.models import *  # noqa: F401,F403
from outages.alerts import AlertDelivery, AlertEvent  # noqa: F401
from outages.crews.models import Crew, CrewAssignment  # noqa: F401
from outages.member_reports import OutageReport  # noqa: F401
from outages.members.models import AlertRecipient, MemberAccount, MemberServicePoint, MemberToken  # noqa: F401
from outages.models import *  # noqa: F401,F403
from registry.models import *  # noqa: F401,F403
from reports.models import *  # noqa: F401,F403
