"""Watering a friend's growing tree from your balance (rules: ``forest.services.social``)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification, Profile
from accounts.services.notifications import notification_dispatch
from core.locks import lock_rows
from core.sql import table
from forest.models import EnergyBalance, EnergyTransfer, Tree
from forest.models.energy import Account, EntryKind
from forest.scoring.sql import adapt_params
from forest.services.holds import energy_hold_active, energy_hold_refuse
from forest.services.ledger import ledger_append
from forest.services.social import (
    WATER_GRAMS,
    SocialError,
    Watered,
    _display_name,
    _local_day,
    _require_friend,
)
from forest.services.trees import _mature


def _debit_balance(user_id: int, grams: int) -> bool:
    """Take ``grams`` off the user's cached balance only if it covers them (no negative)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table(EnergyBalance)} SET grams = grams - %s
               WHERE user_id = %s AND account = 'balance' AND grams >= %s""",
            adapt_params([grams, user_id, grams]),
        )
        return cursor.rowcount == 1


@transaction.atomic
def friend_water(
    *, giver_id: int, friend_id: int, grams: int, now: datetime | None = None
) -> Watered:
    """Move ``grams`` of the giver's balance into the friend's growing personal tree.

    The tree is row-locked and grown as ``tree_grow`` grows it (capped at what it still needs;
    reaching 100 % matures and funds it through the same path).
    """
    now = now or timezone.now()
    if grams not in WATER_GRAMS:
        raise SocialError(_("Water with 10, 18, 33 or 66 g."), code="invalid_grams", status=400)
    _require_friend(giver_id, friend_id)
    energy_hold_refuse(giver_id, action="move")
    if energy_hold_active(friend_id):
        raise SocialError(_("Your friend's tree cannot be watered right now."), code="unavailable")
    tree = (
        lock_rows(Tree.objects.select_related("species"))
        .filter(owner_id=friend_id, team__isnull=True, status=Tree.Status.GROWING)
        .first()
    )
    if tree is None:
        raise SocialError(_("Your friend is not growing a tree right now."), code="no_tree")
    day = _local_day(giver_id, now)
    if EnergyTransfer.objects.filter(
        kind=EnergyTransfer.Kind.WATER, from_user_id=giver_id, to_user_id=friend_id, day=day
    ).exists():
        raise SocialError(_("You have watered this friend today already."), code="already_watered")
    amount = min(grams, tree.species.energy_cost_grams - tree.energy_grams)
    if amount <= 0:
        raise SocialError(_("This tree is fully grown."), code="tree_not_growing")
    try:
        with transaction.atomic():
            EnergyTransfer.objects.create(
                kind=EnergyTransfer.Kind.WATER, from_user_id=giver_id, to_user_id=friend_id,
                tree=tree, grams=amount, day=day, created_at=now,
            )  # fmt: skip
    except IntegrityError as exc:  # a double submit: the other one waters
        raise SocialError(
            _("You have watered this friend today already."), code="already_watered"
        ) from exc
    if not _debit_balance(giver_id, amount):
        raise SocialError(
            _("You need %(grams)s g of collected energy to water.") % {"grams": amount},
            code="insufficient_energy",
        )
    key = f"water:{giver_id}:to:{friend_id}:{day.isoformat()}"
    ledger_append(
        rows=[
            (giver_id, Account.BALANCE, EntryKind.WATER, -amount, f"{key}:out", None),
            (friend_id, Account.TREE, EntryKind.WATER, amount, f"{key}:in", None),
        ],
        now=now,
        balances_moved={(giver_id, Account.BALANCE)},  # _debit_balance took it already
    )
    tree.energy_grams += amount
    matured = tree.energy_grams >= tree.species.energy_cost_grams
    if matured:
        _mature(tree, amount, now)
    else:
        tree.save(update_fields=["energy_grams", "updated_at"])
    _notify_watered(giver_id, friend_id, amount, day)
    return Watered(tree=tree, grams=amount, matured=matured)


def _notify_watered(giver_id: int, friend_id: int, grams: int, day: date) -> None:
    locale = Profile.objects.filter(user_id=friend_id).values_list("locale", flat=True).first()
    with translation.override(locale or "nl"):
        notification_dispatch(
            user_id=friend_id,
            topic="trees",
            kind=Notification.Kind.TREE,
            title=_("A friend watered your tree"),
            body=_("%(name)s gave your tree %(grams)s g of their energy.")
            % {"name": _display_name(giver_id), "grams": grams},
            dedupe_key=f"water:{giver_id}:to:{friend_id}:{day.isoformat()}",
        )
