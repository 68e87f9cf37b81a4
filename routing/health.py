"""Whether the database answers: the one readiness probe behind /healthz and /api/v1/health."""

import logging

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def database_reachable() -> bool:
    """True when the database answers a trivial query; the reason it did not goes to the log
    (it may name hosts), never to the anonymous caller of a health check."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False
    return True
