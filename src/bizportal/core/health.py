"""The one health question load balancers, probes and the demo script ask: can this
process reach its database?"""

from __future__ import annotations

from django.db import connections


def database_ok(alias: str = "default") -> bool:
    """One round trip to the database; False instead of raising, because a health
    check reports rather than fails."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False
    return True
