"""The client's address, for lockouts and rate limits: REMOTE_ADDR unless proxies are trusted.

X-Forwarded-For is written by whoever sends the request, so by default it is ignored. Behind
TRAFFICLENS_TRUSTED_PROXIES reverse proxies (docker-compose.yml's nginx is one), each proxy
appends the address it received the request from, so the entry that many places from the end
is the address the outermost trusted proxy saw: the client. Entries before it came from the
client itself and are never used.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address failed sign-ins and token attempts are counted against."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRAFFICLENS_TRUSTED_PROXIES
    if not hops:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if not forwarded:
        return remote  # reached the app without passing a proxy (a health check, say)
    candidate = forwarded[-min(hops, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # not written by a proxy we trust; the peer is all we know
