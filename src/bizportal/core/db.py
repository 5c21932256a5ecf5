"""Which database a query reads from: the primary, or a streaming read replica.

A replica lags the primary by a moment, so routing every read there automatically
would show an applicant a page without the application they just submitted. Instead the
router below routes nothing by itself, and the few read paths that tolerate a second of
lag and cost the most at national scale (executive statistics, the public catalogue list
and search) ask for :func:`reporting_db` explicitly with ``.using(reporting_db())``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model

PRIMARY = "default"
REPLICA = "replica"


def reporting_db() -> str:
    """The alias reports and search read from: the replica when one is configured
    (``DATABASE_REPLICA_URL``), otherwise the primary."""
    return str(getattr(settings, "REPORTING_DATABASE", PRIMARY))


class ReplicaRouter:
    """Keeps the replica read-only and lets its rows relate to the primary's.

    ``db_for_read`` and ``db_for_write`` give no opinion, so everything goes to the
    primary unless a query says ``.using(...)``. Objects read from the replica may be
    related to objects from the primary (they are the same rows), and migrations never
    run against the replica: it receives the schema through replication.
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        same_data = {PRIMARY, REPLICA}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
