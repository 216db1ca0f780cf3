"""The read replica: which reads may be served by it, and the router that keeps writes off it.

With ``CANOPY_REPLICA_DATABASE_URL`` set, ``DATABASES["replica"]`` is a streaming replica of
the primary (docs/scale.md, "A read replica for reports"). It lags the primary by the time its
WAL takes to replay, usually well under a second, so only reads that need not see the reader's
own fresh writes go there: the sponsors' portal reports and exports (``partners.selectors``:
the trees and campaigns CSVs, the monthly impact report and forest statements). Such a
selector asks for ``reporting_database()`` with ``.using(...)``; every other read stays on the
primary, and the router sends every write there, whichever database its rows came from.
Without a replica configured, ``reporting_database()`` is the primary.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


def reporting_database() -> str:
    """The alias reports and exports read from: the replica when there is one."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


class PrimaryReplicaRouter:
    """Reads: the primary unless a query names the replica (or follows a row read from it).
    Writes and migrations: the primary only; the replica is read-only and copies it anyway."""

    def db_for_read(self, model, **hints):
        return None  # Django's default: the instance's own database, else "default"

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
