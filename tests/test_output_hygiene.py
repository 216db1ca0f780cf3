"""What people read besides the pages: the README and docs point only at files in this
repository, and in-process tasks run without broker noise in the log."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@shared_task
def _noop_task() -> int:
    return 1


def test_in_process_tasks_log_no_missing_broker_hostname(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with caplog.at_level(logging.WARNING):
        assert _noop_task.delay().get() == 1
    assert not [r for r in caplog.records if "hostname" in r.getMessage().lower()]


def test_docs_link_only_to_files_in_the_repository():
    for doc in DOCS:
        text = doc.read_text()
        assert "PRODUCT.md" not in text and "STYLE.md" not in text, doc.name
        assert "/work/" not in text, doc.name
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_docs_carry_no_stale_not_built_notes():
    for doc in DOCS:
        assert not re.search(r"not (yet )?built", doc.read_text(), re.IGNORECASE), doc.name


def test_readme_documents_host_and_port():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    for variable in ("HOST", "PORT"):
        assert f"{variable} ?=" in makefile
        assert f"{variable}=" in readme
