"""The structure rules that import-linter cannot see (docs/architecture.md).

import-linter (`lint-imports`, run by .ci/run) holds the layers. These tests hold the rest: an
app reaches another app only through public names, and writes no other app's table in SQL.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "catalogue", "forest", "partners", "privacy", "demo"]
TABLE_PREFIXES = {app: f"{app}_" for app in APPS if app != "core"}
SQL_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE|COPY)\s+\"?(?P<table>[a-z]+_[a-z_]+)",
    re.IGNORECASE,
)


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def _cross_app_private_imports(app: str) -> list[str]:
    found = []
    for path, tree in _modules(app):
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            target = node.module.split(".")[0]
            if target == app or target not in APPS:
                continue
            parts = node.module.split(".")
            private = [p for p in parts if p.startswith("_") and p != "__init__"]
            private += [a.name for a in node.names if a.name.startswith("_")]
            if private:
                rel = path.relative_to(ROOT)
                found.append(f"{rel}:{node.lineno} imports {node.module}: {', '.join(private)}")
    return found


def _foreign_table_writes(app: str) -> list[str]:
    found = []
    for path, tree in _modules(app):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            for match in SQL_WRITE.finditer(node.value):
                table = match["table"].lower()
                owner = next((a for a, p in TABLE_PREFIXES.items() if table.startswith(p)), None)
                if owner and owner != app:
                    rel = path.relative_to(ROOT)
                    found.append(f"{rel}:{node.lineno} writes {table} (owned by {owner})")
    return found


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_another_apps_private_names(app):
    assert _cross_app_private_imports(app) == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_writes_another_apps_table_in_sql(app):
    assert _foreign_table_writes(app) == []


def test_the_checks_see_a_violation(tmp_path, monkeypatch):
    """The two checks above would fail on the couplings they exist to catch."""
    bad = tmp_path / "partners"
    bad.mkdir()
    (bad / "claims.py").write_text(
        "from forest.services.energy import _move\n"
        "SQL = 'INSERT INTO accounts_transaction (id) VALUES (1)'\n"
    )
    monkeypatch.setattr(__name__ + ".ROOT", tmp_path)
    assert _cross_app_private_imports("partners") == [
        "partners/claims.py:1 imports forest.services.energy: _move"
    ]
    assert _foreign_table_writes("partners") == [
        "partners/claims.py:2 writes accounts_transaction (owned by accounts)"
    ]


def _ledger_writers() -> list[str]:
    """Modules that append ledger entries themselves, by ORM or by SQL."""
    found = []
    for app in APPS:
        for path, tree in _modules(app):
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                orm = (
                    isinstance(node, ast.Attribute)
                    and node.attr in {"create", "bulk_create", "get_or_create"}
                    and ast.unparse(node.value) == "EnergyLedgerEntry.objects"
                )
                sql = isinstance(node, ast.Constant | ast.JoinedStr) and re.search(
                    r"INSERT\s+INTO\s+(\{LEDGER\}|\"?forest_energyledgerentry)",
                    ast.unparse(node),
                    re.IGNORECASE,
                )
                if orm or sql:
                    found.append(rel)
    return sorted(set(found))


def test_only_the_ledger_service_appends_ledger_entries():
    """Energy is money: one module writes entries and balances together (forest.services.ledger)."""
    assert _ledger_writers() == ["forest/services/ledger.py"]
