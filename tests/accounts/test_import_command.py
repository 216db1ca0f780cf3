"""manage.py import_transactions: operators import a file with a progress bar."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ImportBatch, Transaction
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import FIXTURES

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_transactions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "count"), [("week1.csv", 4), ("statement.ofx", 3), ("statement_camt053.xml", 2)]
)
def test_it_imports_a_file_and_prints_the_counts(name, count):
    feed = LinkedFeedFactory(provider="file")

    out, err = _run("--feed", str(feed.pk), str(FIXTURES / name))

    assert f"new {count}" in out
    assert "done" in out
    assert "B/s" in err or "100%" in err  # the tqdm bar, on stderr
    batch = ImportBatch.objects.get(feed=feed)
    assert (batch.source, batch.status, batch.count_new) == ("command", "done", count)
    assert batch.file_name == name
    assert Transaction.objects.filter(feed=feed).count() == count


def test_the_same_file_twice_is_reported_as_duplicates():
    feed = LinkedFeedFactory(provider="file")
    _run("--feed", str(feed.pk), str(FIXTURES / "week1.csv"))

    out, _ = _run("--feed", str(feed.pk), str(FIXTURES / "week1.csv"), "--no-progress")

    assert "new 0" in out and "duplicate 4" in out
    assert "the same file as import" in out


def test_an_explicit_format_is_used():
    feed = LinkedFeedFactory(provider="file")

    out, _ = _run("--feed", str(feed.pk), str(FIXTURES / "week2.csv"), "--format", "csv")

    assert "new 4" in out


def test_a_malformed_file_fails_with_line_and_field_and_imports_nothing():
    feed = LinkedFeedFactory(provider="file")

    with pytest.raises(CommandError, match="rejected"):
        _run("--feed", str(feed.pk), str(FIXTURES / "malformed.csv"), "--no-progress")

    assert not Transaction.objects.exists()


def test_unknown_feeds_files_and_revoked_feeds_are_errors(tmp_path):
    feed = LinkedFeedFactory(provider="file", status="revoked")

    with pytest.raises(CommandError, match="No feed"):
        _run("--feed", "999999", str(FIXTURES / "week1.csv"))
    with pytest.raises(CommandError, match="not a file"):
        _run("--feed", str(feed.pk), str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="revoked"):
        _run("--feed", str(feed.pk), str(FIXTURES / "week1.csv"))
