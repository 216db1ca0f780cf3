"""A forest's monthly budget statement: opening balance, every ledger entry, closing balance.

Two queries whatever the number of entries: the opening balance (a sum of everything before
the month) and the month's entries with their order (one join). The closing balance is the
opening balance plus the month's entries, which is the sum of all entries up to the month's
end because the ledger is append-only. Months are calendar months in the active time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Sum
from django.utils import timezone

from core.replica import reporting_database
from partners.models import ForestBudgetEntry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from catalogue.models import BrandForest

CENT = Decimal("0.01")
CSV_CHUNK_SIZE = 2_000


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def containing(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def start(self) -> datetime:
        """The first instant of the month in the active time zone."""
        return timezone.make_aware(datetime.combine(self.first_day, datetime.min.time()))

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive bound)."""
        return self.next.start

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    created_at: datetime
    kind: str
    kind_label: StrOrPromise
    amount: Decimal
    balance: Decimal
    order_id: int | None
    tree_id: int | None
    memo: str


@dataclass(frozen=True)
class Statement:
    forest: BrandForest
    month: Month
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal
    totals: dict[str, Decimal]


def _money(value) -> Decimal:
    # SQLite sums decimals as floats; PostgreSQL is exact.
    return Decimal(str(value or 0)).quantize(CENT)


def forest_balance_before(
    forest: BrandForest, at: datetime, *, using: str = DEFAULT_DB_ALIAS
) -> Decimal:
    entries = ForestBudgetEntry.objects.using(using)
    total = entries.filter(forest=forest, created_at__lt=at).aggregate(t=Sum("amount"))["t"]
    return _money(total)


def _month_lines(
    forest: BrandForest, month: Month, opening: Decimal, *, using: str = DEFAULT_DB_ALIAS
) -> Iterator[StatementLine]:
    rows = (
        ForestBudgetEntry.objects.using(using)
        .filter(forest=forest, created_at__gte=month.start, created_at__lt=month.end)
        .order_by("created_at", "id")
        .values_list("id", "created_at", "kind", "amount", "order_id", "order__tree_id", "memo")
    )
    labels = dict(ForestBudgetEntry.Kind.choices)
    balance = opening
    for entry_id, created_at, kind, amount, order_id, tree_id, memo in rows.iterator(
        chunk_size=CSV_CHUNK_SIZE
    ):
        amount = _money(amount)
        balance += amount
        yield StatementLine(
            entry_id, created_at, kind, labels.get(kind, kind), amount, balance,
            order_id, tree_id, memo,
        )  # fmt: skip


def forest_month_statement(forest: BrandForest, month: Month) -> Statement:
    """The whole statement in memory, for the page: two queries."""
    opening = forest_balance_before(forest, month.start)
    lines = list(_month_lines(forest, month, opening))
    totals = {kind: Decimal("0.00") for kind in ForestBudgetEntry.Kind.values}
    for line in lines:
        totals[line.kind] += line.amount
    closing = lines[-1].balance if lines else opening
    return Statement(forest, month, opening, lines, closing, totals)


STATEMENT_CSV_HEADER = [
    "date", "entry_id", "kind", "amount", "balance", "order_id", "tree_id", "memo",
]  # fmt: skip


def forest_statement_csv_rows(forest: BrandForest, month: Month) -> Iterator[list[str]]:
    """The statement as CSV rows, streamed: opening line, one row per entry, closing line.
    An export: read from the replica when there is one (the page reads the primary)."""
    db = reporting_database()
    opening = forest_balance_before(forest, month.start, using=db)
    yield STATEMENT_CSV_HEADER
    yield [month.first_day.isoformat(), "", "opening_balance", "", str(opening), "", "", ""]
    balance = opening
    for line in _month_lines(forest, month, opening, using=db):
        balance = line.balance
        yield [
            timezone.localtime(line.created_at).isoformat(),
            str(line.entry_id),
            line.kind,
            str(line.amount),
            str(line.balance),
            "" if line.order_id is None else str(line.order_id),
            "" if line.tree_id is None else str(line.tree_id),
            line.memo,
        ]
    last_day = month.next.first_day - timedelta(days=1)
    yield [last_day.isoformat(), "", "closing_balance", "", str(balance), "", "", ""]
