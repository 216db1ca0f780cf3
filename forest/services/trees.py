"""Growing trees: starting one, moving collected energy into it, and funding it at maturity.

Grams reach a tree only as GROW ledger entries (balance -g, tree +g) written by
``ledger_append``, so ``assert_ledger_consistent`` holds and no energy is ever lost: a matured
tree whose forest has no budget keeps its grams and can be moved to another forest to be funded
there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalogue.models import BrandForest, Species
from core.locks import lock_rows
from forest.models import Certificate, EnergyBalance, EnergyLedgerEntry, Tree
from forest.models.energy import Account, EntryKind
from forest.models.trees import TreeContribution
from forest.planting import Reservation, planting
from forest.services.holds import energy_hold_refuse
from forest.services.ledger import ledger_append
from forest.services.tree_notices import tree_matured_notify, tree_planted_notify
from forest.services.tree_readers import tree_readers_changed


class TreeError(Exception):
    """A request about a tree that cannot be honoured; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class GrowResult:
    tree: Tree
    grams: int
    matured: bool
    funded: bool
    message: str
    replayed: bool = False


def _forest_offering(forest_id: int, species_id: int) -> BrandForest:
    forest = BrandForest.objects.filter(pk=forest_id).first()
    if forest is None:
        raise TreeError(_("No such forest."), code="forest_not_found", status=400)
    if forest.status != BrandForest.Status.OPEN:
        raise TreeError(
            _("%(forest)s is not taking new trees.") % {"forest": forest.name},
            code="forest_not_open",
        )
    if not forest.species.filter(pk=species_id).exists():
        raise TreeError(
            _("%(forest)s does not plant this species.") % {"forest": forest.name},
            code="species_not_offered",
            status=400,
        )
    return forest


@transaction.atomic
def tree_start(
    *, user_id: int, species_id: int, forest_id: int, team_id: int | None = None
) -> Tree:
    """Start growing a tree: one personal tree at a time, and one per team at a time.

    With ``team_id`` the tree belongs to the team (the user must be an active member of a
    team of two or more); the team row is locked so two members starting at once get one tree.
    A user on hold cannot start one (``EnergyOnHold``).
    """
    energy_hold_refuse(user_id, action="start")
    species = Species.objects.filter(pk=species_id, is_active=True).first()
    if species is None:
        raise TreeError(_("No such species."), code="species_not_found", status=400)
    team = None
    if team_id is not None:
        # cycle: forest.services.teams imports this module
        from forest.services.teams import team_lock_for_tree

        team = team_lock_for_tree(user_id=user_id, team_id=team_id)
        growing = Tree.objects.filter(team=team, status=Tree.Status.GROWING)
        message = _("Your team is already growing a tree.")
    else:
        growing = Tree.objects.filter(
            owner_id=user_id, team__isnull=True, status=Tree.Status.GROWING
        )
        message = _("You are already growing a tree.")
    if growing.exists():
        raise TreeError(message, code="tree_growing")
    forest = _forest_offering(forest_id, species.id)
    try:
        with transaction.atomic():
            return Tree.objects.create(owner_id=user_id, team=team, species=species, forest=forest)
    except IntegrityError as exc:  # a concurrent start won the partial unique constraint
        raise TreeError(message, code="tree_growing") from exc


def _locked_tree(user_id: int, tree_id: int) -> Tree:
    """A tree the user may grow (own, or their team's), row-locked; others' are as none."""
    tree = (
        lock_rows(Tree.objects.select_related("species"))
        .growable_by(user_id)
        .filter(pk=tree_id)
        .first()
    )
    if tree is None:
        raise Tree.DoesNotExist
    return tree


@transaction.atomic
def tree_grow(
    *,
    user_id: int,
    tree_id: int,
    grams: int | None = None,
    request_key: str | None = None,
    now: datetime | None = None,
) -> GrowResult:
    """Move ``grams`` (or the whole balance) from the user's balance into the tree.

    Never more than the balance holds (asking for more is refused) and never more than the
    tree still needs (the rest stays in the balance). ``request_key`` makes a retried request
    a no-op; without one, keys count the tree's grow entries, which the tree's row lock keeps
    unique. Reaching 100 % matures the tree and tries to fund it, in this same transaction.
    A user on hold cannot grow (``EnergyOnHold``), their own tree or a team's.
    """
    now = now or timezone.now()
    energy_hold_refuse(user_id, action="grow")
    tree = _locked_tree(user_id, tree_id)
    if request_key:
        # On a team tree several people grow: their request ids must not meet.
        member = f"u{user_id}:" if tree.team_id else ""
        key = f"grow:tree:{tree.id}:{member}{request_key}"
        if EnergyLedgerEntry.objects.filter(idempotency_key=f"{key}:in").exists():
            return GrowResult(tree, 0, False, _has_active_order(tree), _("Already done."), True)
    if tree.status != Tree.Status.GROWING:
        raise TreeError(_("This tree is fully grown."), code="tree_not_growing")
    if grams is not None and grams <= 0:
        raise TreeError(_("Grow at least 1 g."), code="invalid_grams", status=400)

    # Locking the balance row keeps two grows (or a future spend) from both spending it.
    row = lock_rows(EnergyBalance.objects).filter(user_id=user_id, account=Account.BALANCE).first()
    available = row.grams if row else 0
    if grams is not None and grams > available:
        raise TreeError(
            _("You have %(grams)s g collected; collect more energy first.") % {"grams": available},
            code="insufficient_energy",
        )
    needed = tree.species.energy_cost_grams - tree.energy_grams
    if needed <= 0:  # an operator lowered the species' cost: it is grown already
        return _mature(tree, 0, now)
    amount = min(grams if grams is not None else available, available, needed)
    if amount <= 0:
        raise TreeError(_("You have no collected energy to grow with."), code="no_energy")

    if not request_key:
        # Counting every member's entries of a team tree keeps the keys unique across members;
        # the tree's row lock serialises the count and the insert.
        entries = EnergyLedgerEntry.objects.filter(
            kind=EntryKind.GROW, account=Account.TREE,
            idempotency_key__startswith=f"grow:tree:{tree.id}:",
        )  # fmt: skip
        if not tree.team_id:
            entries = entries.filter(user_id=user_id)
        key = f"grow:tree:{tree.id}:{entries.count() + 1}"
    ledger_append(
        rows=[
            (user_id, Account.BALANCE, EntryKind.GROW, -amount, f"{key}:out", None),
            (user_id, Account.TREE, EntryKind.GROW, amount, f"{key}:in", None),
        ],
        now=now,
    )
    tree.energy_grams += amount
    if tree.team_id:
        _contribution_add(tree.id, user_id, amount)
    if tree.energy_grams < tree.species.energy_cost_grams:
        tree.save(update_fields=["energy_grams", "updated_at"])
        if tree.team_id:
            message = _("%(grams)s g grown into your team's tree.") % {"grams": amount}
        else:
            message = _("%(grams)s g grown into your tree.") % {"grams": amount}
        return GrowResult(tree, amount, False, False, message)
    return _mature(tree, amount, now)


def _contribution_add(tree_id: int, user_id: int, grams: int) -> None:
    """Count a member's grams on a team tree (the caller holds the tree's row lock)."""
    updated = TreeContribution.objects.filter(tree_id=tree_id, user_id=user_id).update(
        grams=F("grams") + grams
    )
    if not updated:
        TreeContribution.objects.create(tree_id=tree_id, user_id=user_id, grams=grams)


def _mature(tree: Tree, grown: int, now: datetime) -> GrowResult:
    """The tree is fully grown: mark it and try to fund it in its forest, in this transaction."""
    tree.status = Tree.Status.MATURED
    tree.matured_at = now
    tree.save(update_fields=["energy_grams", "status", "matured_at", "updated_at"])
    reservation = planting().reserve(tree=tree, forest_id=tree.forest_id)
    tree_matured_notify(tree, funded=reservation.funded)
    return GrowResult(tree, grown, True, reservation.funded, _funding_message(reservation))


# The reasons ``planting().reserve`` gives, marked here so they are in the catalogue:
# ``_funding_message`` translates them (an unknown reason is shown as it is).
_RESERVATION_REASONS = (
    gettext_noop("This forest is not taking trees at the moment."),
    gettext_noop("This forest is full."),
    gettext_noop("This forest's sponsor budget is used up for now."),
)


def _funding_message(reservation: Reservation) -> str:
    if reservation.funded:
        return _("Your tree is fully grown and will be planted.")
    return _(
        "Your tree is fully grown, but it cannot be planted yet: %(reason)s "
        "Your energy is kept; move the tree to another forest or wait."
    ) % {"reason": _(reservation.reason) if reservation.reason else ""}


def _has_active_order(tree: Tree) -> bool:
    return planting().tree_has_active_order(tree.id)


@transaction.atomic
def tree_move(*, user_id: int, tree_id: int, forest_id: int) -> GrowResult:
    """Move a growing tree, or a matured one still waiting for funding, to another forest.

    A matured tree is funded in the new forest at once if its budget allows; a user on hold
    cannot move one (moving a matured tree spends a sponsor's budget).
    """
    energy_hold_refuse(user_id, action="move")
    tree = _locked_tree(user_id, tree_id)
    if tree.status == Tree.Status.PLANTED or _has_active_order(tree):
        raise TreeError(_("This tree is already on its way to be planted."), code="tree_funded")
    if tree.forest_id == forest_id:
        raise TreeError(_("The tree is in that forest already."), code="same_forest", status=400)
    forest = _forest_offering(forest_id, tree.species_id)
    tree.forest = forest
    tree.save(update_fields=["forest", "updated_at"])
    if tree.status == Tree.Status.GROWING:
        return GrowResult(
            tree, 0, False, False, _("Your tree now grows in %(forest)s.") % {"forest": forest.name}
        )
    reservation = planting().reserve(tree=tree, forest_id=forest.id)
    return GrowResult(tree, 0, True, reservation.funded, _funding_message(reservation))


def tree_mark_planted(*, tree_id: int, at: datetime | None) -> Certificate:
    """The partner planted the tree: mark it, issue its certificate and tell its people (once)."""
    at = at or timezone.now()
    Tree.objects.filter(pk=tree_id).update(status=Tree.Status.PLANTED, updated_at=timezone.now())
    tree_readers_changed([tree_id])
    existing = Certificate.objects.filter(tree_id=tree_id).first()
    if existing is not None:
        return existing
    certificate = Certificate.objects.create(
        tree_id=tree_id, number=_certificate_number(at), issued_at=at
    )
    tree = Tree.objects.select_related("species", "forest").get(pk=tree_id)
    tree_planted_notify(tree, certificate_number=certificate.number)
    return certificate


def _certificate_number(at: datetime) -> str:
    # Unguessable: the number is the key of a public page, so it must not be enumerable.
    return f"CNP-{at:%Y}-{secrets.token_hex(5).upper()}"
