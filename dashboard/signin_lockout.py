"""Sign-in lockout (django-axes): by user name and address, plus a cap per address.

Axes counts failed sign-ins per (user name, address) and locks that pair after
AXES_FAILURE_LIMIT failures for the cool-off. Keyed by the pair, an attacker cannot lock a user
out from every address (the owner signs in from elsewhere), but one address could then try a few
passwords on each of many user names without ever reaching the limit; so an address whose
failures over all user names reach TRAFFICLENS_LOGIN_ADDRESS_FAILURE_LIMIT within the cool-off
is locked as a whole. Every failure is logged with its user name and address.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import render


class UserAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with the per-address cap described above."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        from_address = (
            AccessAttempt.objects.filter(
                ip_address=request.axes_ip_address,
                attempt_time__gte=get_cool_off_threshold(request),
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        if from_address >= settings.TRAFFICLENS_LOGIN_ADDRESS_FAILURE_LIMIT:
            # Reported as the per-user limit, which is what axes compares against.
            return max(failures, get_failure_limit(request, credentials))
        return failures


def lockout_page(request, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a locked sign-in (429, both forms): what happened, for how long, and how
    to be unlocked sooner."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    response = render(
        request,
        "registration/locked_out.html",
        {"username": request.POST.get("username", ""), "cooloff_minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
