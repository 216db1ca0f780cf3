"""Import a bank file into a feed from the command line, with a progress bar for operators.

manage.py import_transactions --feed 12 statement.xml [--format camt053]
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, cast

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.integrations.sources.base import SourceError
from accounts.models import ImportBatch, LinkedFeed
from accounts.services.importing import FeedNotImportable, feed_file_import


class _ProgressReader:
    """A binary file that moves a tqdm bar by the bytes the parser reads."""

    def __init__(self, raw, bar: tqdm) -> None:
        self._raw = raw
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._raw.read1(size)
        self._bar.update(len(data))
        return data

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        self._bar.update(count or 0)
        return count

    def readline(self, size: int = -1) -> bytes:
        data = self._raw.readline(size)
        self._bar.update(len(data))
        return data

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


class Command(BaseCommand):
    help = "Import a bank file (OFX, camt.053, CSV, Plaid or Berlin Group JSON) into a feed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--feed", type=int, required=True, help="the LinkedFeed id")
        parser.add_argument("--format", help="ofx, camt053, csv, plaid or berlin_group")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, file: Path, feed: int, format: str | None, **options) -> None:
        target = LinkedFeed.objects.filter(pk=feed).first()
        if target is None:
            raise CommandError(f"No feed with id {feed}.")
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        with (
            file.open("rb") as raw,
            tqdm(  # type: ignore[call-overload]  # stubs: OutputWrapper._out is the raw stream
                total=file.stat().st_size,
                unit="B",
                unit_scale=True,
                desc=file.name,
                disable=options["no_progress"],
                file=self.stderr._out,  # the raw stream: tqdm redraws with \r, no newlines
            ) as bar,
        ):
            try:
                batch = feed_file_import(
                    feed=target,
                    file=raw,
                    file_name=file.name,
                    source=ImportBatch.Source.COMMAND,
                    format=format,
                    reading=lambda stream: cast(BinaryIO, _ProgressReader(stream, bar)),
                )
            except SourceError as exc:
                raise CommandError(str(exc)) from exc
            except FeedNotImportable as exc:
                raise CommandError(exc.message) from exc

        summary = (
            f"import {batch.pk} ({batch.format}): {batch.status}; new {batch.count_new}, "
            f"updated {batch.count_updated}, duplicate {batch.count_duplicate}, "
            f"removed {batch.count_removed}, rejected {batch.count_rejected} "
            f"in {batch.duration_ms} ms"
        )
        if batch.status != ImportBatch.Status.DONE:
            for error in batch.errors:
                # Where the API says it: the line, else the element path (added[1]).
                detail = SourceError(
                    error.get("message") or "malformed input",
                    line=error.get("line"),
                    field=error.get("field") or "",
                    where=error.get("where") or "",
                )
                self.stderr.write(f"  {detail}")
            raise CommandError(summary)
        if batch.duplicate_of is not None:
            summary += f" (the same file as import {batch.duplicate_of.pk})"
        self.stdout.write(self.style.SUCCESS(summary))
