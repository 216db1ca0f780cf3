"""On PostgreSQL the database itself refuses to update or delete ledger entries."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION forest_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'forest_energyledgerentry is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER forest_ledger_append_only
    BEFORE UPDATE OR DELETE ON forest_energyledgerentry
    FOR EACH ROW EXECUTE FUNCTION forest_ledger_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS forest_ledger_append_only ON forest_energyledgerentry;
DROP FUNCTION IF EXISTS forest_ledger_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("forest", "0002_seed_rules")]
    operations = [migrations.RunPython(forward, backward)]
