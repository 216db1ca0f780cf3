"""Block-range (BRIN) indexes for the nightly sweeps that read only recent rows.

The fraud sweep reads the last days of green actions (by booking date) and of the ledger (by
creation time). Both columns follow the order rows are written in, so a BRIN index of a few
pages lets those reads skip the older blocks, and costs scoring's bulk inserts next to
nothing (a B-tree on 470k new actions a night would not). PostgreSQL only; SQLite databases
are small enough to scan.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS forest_ga_booking_brin
    ON forest_greenaction USING brin (booking_date);
CREATE INDEX IF NOT EXISTS forest_ledger_created_brin
    ON forest_energyledgerentry USING brin (created_at);
"""
BACKWARD = """
DROP INDEX IF EXISTS forest_ga_booking_brin;
DROP INDEX IF EXISTS forest_ledger_created_brin;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("forest", "0003_ledger_append_only")]
    operations = [migrations.RunPython(forward, backward)]
