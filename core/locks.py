"""THE lock order: every transaction takes row locks in this order, so none can deadlock.

A transaction that needs two of these rows locks the one higher in the list first. Each is
a single row, taken with ``SELECT ... FOR UPDATE`` unless said otherwise; a set of rows of one
table is locked in primary-key order (``lock_rows``).

 1. scoring chunk   forest.ScoringChunk     serialises workers on one chunk (forest.scoring)
 2. user            accounts.User           FOR NO KEY UPDATE: one user's claims, steals, erasure
 3. linked feed     accounts.LinkedFeed     imports into one feed; revocation waits for them
 4. team            forest.Team             joins, leaves, invitations, starting its tree
 5. claim batch     partners.ClaimCodeBatch download once, release unused grams once
 6. campaign        catalogue.Campaign      its budget: scoring, claim batches, portal edits
 7. claim code      partners.ClaimCode      conditional UPDATE (redeemed_at IS NULL)
 8. invoice number  partners.InvoiceNumberSequence, then the invoice (paid/cancelled once)
 9. planting order  partners.PlantingOrder  lifecycle steps, evidence, survival checks
10. tree            forest.Tree             growing, watering, moving; planted by its order
11. energy drop     forest.EnergyDrop       conditional UPDATE (collect, steal, expire)
12. energy balance  forest.EnergyBalance    FOR UPDATE, conditional UPDATE or the upsert
                                            (``balances_add``, in (user, account) order)
13. brand forest    catalogue.BrandForest   its budget: one reservation at a time

New rows (drops, ledger entries, planting orders, budget entries, certificates) are inserted
after the locks they depend on; an insert only takes KEY SHARE on the rows it references.
Rows locked alone, never together with another: sponsor (branding), green action rule.

Examples: a claim is user -> claim code -> (new drop) -> balance; a steal is user -> drop ->
balances; growing is tree -> balance -> brand forest (funding at maturity); a partner's
"planted" is planting order -> tree; releasing a claim batch is batch -> campaign; a scoring
chunk is chunk -> campaigns (raw SQL, ``forest.scoring.campaigns``) -> energy drops (the
claw-backs' one conditional UPDATE, ``forest.scoring.clawbacks``) -> balances: every claw-back
is settled after the campaign grants and before any balance is written.

Why the user row is FOR NO KEY UPDATE: it serialises one user's own requests (daily caps)
and never changes the user's key, while other transactions insert rows that reference the
user (drops, ledger entries, transfers) and take KEY SHARE on it: FOR UPDATE would block
those inserts and two friends stealing from each other could deadlock; NO KEY UPDATE does
not. (Erasure rewrites the unique e-mail, so PostgreSQL upgrades its lock to FOR UPDATE at
that write, waiting for such inserts to commit; it is an operator's rare action.)

Only row locks, never session-level advisory locks: behind PgBouncer in transaction pooling
(docs/deploy.md) the next statement may run on another server connection, so a lock held by
the session would be held by a stranger's connection, or lost. If a lock on something that is
not a row is ever needed, use ``pg_advisory_xact_lock`` (released at commit);
``tests/core/test_pooling.py`` refuses ``pg_advisory_lock``.

``of=("self",)``: only the row of the queried table is locked, never rows joined in by
``select_related`` (they are read, not changed). SQLite has no row locks: these are no-ops
there and transactions are serialised by the database lock instead.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from django.contrib.auth import get_user_model
from django.db.models import Manager, Model, QuerySet

M = TypeVar("M", bound=Model)
Q = TypeVar("Q", bound=QuerySet[Any])


@overload
def lock_rows(queryset: Q, *, no_key: bool = False) -> Q: ...
@overload
def lock_rows(queryset: Manager[M], *, no_key: bool = False) -> QuerySet[M]: ...
def lock_rows(queryset, *, no_key=False):
    """``queryset`` locked FOR UPDATE (FOR NO KEY UPDATE with ``no_key``), own rows only, in
    primary-key order. Take the lock where the order above says; use ``no_key`` when the
    transaction does not change the row's key (so inserts referencing it are not blocked)."""
    return queryset.select_for_update(no_key=no_key, of=("self",)).order_by("pk")


def lock_user(user_id: int, *, related: tuple[str, ...] = ()):
    """The user row, locked FOR NO KEY UPDATE (rank 2): serialises one user's requests.

    ``related`` are ``select_related`` names read with it (not locked). Raises
    ``DoesNotExist`` for an unknown id.
    """
    users = get_user_model().objects.all()
    if related:  # select_related() without names would follow every foreign key
        users = users.select_related(*related)
    return lock_rows(users, no_key=True).get(pk=user_id)
