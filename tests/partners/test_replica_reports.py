"""The portal's reports are read from a real streaming replica (docs/scale.md, "A read replica
for reports"): the test takes a base backup of the machine's PostgreSQL with pg_basebackup,
starts it as a hot standby on a spare port, points DATABASES["replica"] at it, and checks
that the exports' queries go there, that they see the primary's writes once replayed, and
that everything else (the sign-in, the sponsor's own lookups, writes) stays on the primary.

Needs replication allowed from 127.0.0.1 in the primary's pg_hba.conf (.ci/run adds
``host replication all 127.0.0.1/32 trust``; docs/deploy.md)."""

from __future__ import annotations

import csv
import io
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from catalogue.models import Sponsor
from core.replica import REPLICA, reporting_database
from partners.selectors import reports
from partners.selectors.impact import forest_impact_month
from partners.selectors.statements import (
    STATEMENT_CSV_HEADER,
    Month,
    forest_statement_csv_rows,
)
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import CampaignFactory
from tests.partners.portal_helpers import campaign_action, order_in_state

# The replica is a mirror of the test database: Django neither creates nor flushes it.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

SLOT_PREFIX = "canopy_test_replica_"


def _as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        check=check,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _primary_sql(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture(scope="module", autouse=True)
def replica_server(django_db_setup, django_db_blocker):
    """A hot standby of the local cluster (test database included), streaming from it through
    its own replication slot, as DATABASES["replica"] (what CANOPY_REPLICA_DATABASE_URL
    makes), for the module's tests; stopped and removed afterwards."""
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", str(s["PORT"] or 5432)
    with django_db_blocker.unblock():
        version = int(_primary_sql("SHOW server_version_num")[0][0]) // 10000
        # A hot standby needs these at least as high as its primary's.
        same = {
            name: _primary_sql(f"SHOW {name}")[0][0]
            for name in (
                "max_connections", "max_worker_processes", "max_wal_senders",
                "max_prepared_transactions", "max_locks_per_transaction",
            )
        }  # fmt: skip
        # Slots of earlier runs that died before their teardown would keep WAL for ever.
        _primary_sql(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name LIKE '{SLOT_PREFIX}%' AND NOT active"
        )
    bindir = Path(f"/usr/lib/postgresql/{version}/bin")
    slot = f"{SLOT_PREFIX}{uuid.uuid4().hex[:8]}"
    datadir = Path(tempfile.mkdtemp(prefix="canopy-replica-"))
    shutil.chown(datadir, "postgres", "postgres")
    datadir.chmod(0o700)
    replica = _spare_port()
    try:
        # Other sessions create and drop databases while the copy runs (a shared machine, a
        # CI's parallel jobs); a copy that failed for that is taken once more, from scratch.
        for _ in range(2):
            backup = _as_postgres(
                str(bindir / "pg_basebackup"), "-h", host, "-p", port, "-U", s["USER"],
                "-D", str(datadir), "-R", "-X", "stream", "-c", "fast", "-C", "-S", slot, "-N",
                check=False,
            )  # fmt: skip
            if backup.returncode == 0:
                break
            for child in datadir.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            with django_db_blocker.unblock():
                _primary_sql(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    f"WHERE slot_name = '{slot}' AND NOT active"
                )
        assert backup.returncode == 0, (
            f"pg_basebackup failed twice (is replication allowed from {host} in pg_hba.conf?): "
            f"{backup.stderr}"
        )
        # Debian keeps the cluster's configuration in /etc: the copy gets a minimal one
        # (fsync off: a throwaway test server, started without syncing the whole copy first).
        (datadir / "postgresql.conf").write_text(
            f"port = {replica}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{datadir}'\nhot_standby = on\n"
            "shared_buffers = 32MB\nfsync = off\n"
            + "".join(f"{name} = {value}\n" for name, value in same.items())
        )
        (datadir / "pg_ident.conf").write_text("")
        (datadir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(datadir / name, "postgres", "postgres")
        started = _as_postgres(
            str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(datadir / "server.log"),
            "-w", "-t", "120", "start", check=False,
        )  # fmt: skip
        log = datadir / "server.log"
        assert started.returncode == 0, started.stderr + (log.read_text() if log.exists() else "")
        connections.settings[REPLICA] = {
            **connections["default"].settings_dict,
            "HOST": "127.0.0.1",
            "PORT": replica,
            "TEST": {"MIRROR": "default"},
        }
        yield replica
    finally:
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop", check=False)
        with django_db_blocker.unblock():
            _primary_sql(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                f"WHERE slot_name = '{slot}'"
            )
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture
def replica():
    return connections[REPLICA]


def _replayed(replica_connection, *, timeout: float = 60.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    lsn = _primary_sql("SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with replica_connection.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.1)
    raise AssertionError(f"the replica did not replay up to {lsn} in {timeout} s")


def _stream(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_portal_csvs_are_read_from_the_streaming_replica(replica, portal, sponsor):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connection.settings_dict["NAME"])  # a real standby
    assert reporting_database() == REPLICA

    forest = BrandForestFactory(sponsor=sponsor, name="Kubuqi")
    verified = order_in_state(forest, "verified", alive=True)
    campaign = CampaignFactory(sponsor=sponsor, name="Refill")
    campaign_action(campaign, grams=30, day=date(2026, 11, 2))
    _replayed(replica)

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connection) as on_primary,
    ):
        trees = _stream(portal.get(f"/partners/{sponsor.slug}/reports/trees.csv"))
        campaigns = _stream(portal.get(f"/partners/{sponsor.slug}/reports/campaigns.csv"))

    rows = list(csv.DictReader(io.StringIO(trees)))
    assert [(r["tree_id"], r["order_state"]) for r in rows] == [(str(verified.tree_id), "verified")]
    assert campaigns.splitlines()[1:] == [f"{campaign.pk},Refill,2026-11-02,1,30"]
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert '"forest_tree"' in replica_sql and '"forest_greenaction"' in replica_sql
    # The session, the user and the sponsor membership are read from the primary; no report
    # table is.
    assert '"forest_tree"' not in primary_sql and '"forest_greenaction"' not in primary_sql
    assert '"catalogue_sponsor"' in primary_sql


def test_a_write_on_the_primary_reaches_the_report_once_replayed(replica, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    first = order_in_state(forest, "verified", alive=True)
    _replayed(replica)
    assert [row[0] for row in reports.trees_report_rows(sponsor)][1:] == [str(first.tree_id)]

    second = order_in_state(forest, "planted")
    _replayed(replica)
    assert [row[0] for row in reports.trees_report_rows(sponsor)][1:] == [
        str(first.tree_id),
        str(second.tree_id),
    ]
    month = Month.containing(first.verified_at.date())
    with CaptureQueriesContext(replica) as on_replica:
        impact = forest_impact_month(forest, month)
    assert (impact.planted, impact.verified, impact.checks_alive) == (2, 1, 1)
    assert len(on_replica.captured_queries) == 4  # the impact report's four queries
    with CaptureQueriesContext(replica) as on_replica:
        statement = list(forest_statement_csv_rows(forest, month))
    assert statement[0] == STATEMENT_CSV_HEADER
    assert len(on_replica.captured_queries) == 2  # opening balance, the month's entries


def test_rows_read_from_the_replica_are_written_to_the_primary(replica, sponsor):
    _replayed(replica)
    from_replica = Sponsor.objects.using(REPLICA).get(pk=sponsor.pk)
    from_replica.name = "Renamed on the primary"
    from_replica.save(update_fields=["name"])  # the router sends it to the primary
    assert Sponsor.objects.get(pk=sponsor.pk).name == "Renamed on the primary"
    # The standby itself refuses writes.
    with pytest.raises(DatabaseError, match="read-only transaction"), replica.cursor() as cursor:
        cursor.execute("UPDATE catalogue_sponsor SET name = 'x' WHERE id = %s", [sponsor.pk])
