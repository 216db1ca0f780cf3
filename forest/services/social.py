"""Friends' energy: stealing a share of a friend's ripe drop, watering a friend's tree, and
the reads behind a friend's forest and the friends leaderboard.

Rules (README "Friends, stealing and watering"; why: the research's social-friction notes):

* A friend may take ``STEAL_SHARE_PERCENT`` of a ripe, open drop (rounded down, at least 1 g),
  once per drop, and the owner always keeps ``OWNER_KEEPS_PERCENT`` of it however many friends
  come by. No one steals during the owner's first ``STEAL_GRACE`` after ripening (no 07:00
  alarms needed), from a user who opted out, from or by a user on an energy hold, or more than
  ``STEALS_PER_DAY`` times a (local) day.
* Watering gives 10, 18, 33 or 66 g of your balance to a friend's growing tree, once per friend
  per (local) day.

Every movement is two ledger entries with keys derived from who, what and when, plus an
``EnergyTransfer`` row. The drop is changed only by a conditional UPDATE (``remaining`` still
covers the take and the owner's share), the giver's balance only by a conditional UPDATE
(still covers the gift): two friends and the owner racing for one drop never overdraw it.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.friends import are_friends, friend_ids
from accounts.models import Notification, Profile
from core.sql import adapt_params
from forest.models import EnergyDrop, EnergyHold, EnergyLedgerEntry, EnergyTransfer, Tree
from forest.models.energy import Account, EntryKind
from forest.services.energy import EnergyOnHold, _move, balances_add

STEAL_SHARE_PERCENT = 30  # of the drop's grams, per stealer
OWNER_KEEPS_PERCENT = 40  # of the drop's grams, whatever friends take
STEAL_GRACE = timedelta(hours=2)  # after ripe_at: the owner's alone (07:00 → 09:00)
STEALS_PER_DAY = 10  # per stealer, by the stealer's local day
WATER_GRAMS = (10, 18, 33, 66)  # Ant Forest's watering amounts


class SocialError(Exception):
    """A steal or watering that cannot be honoured; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


class NotFriends(Exception):
    """Not an accepted friend: answered as 404, like a user who does not exist."""


@dataclass(frozen=True)
class Stolen:
    drop_id: int
    grams: int


@dataclass(frozen=True)
class Watered:
    tree: Tree
    grams: int
    matured: bool


# --------------------------------------------------------------------------------------------
# Rules shared by the forest view and the steal
# --------------------------------------------------------------------------------------------


def steal_share(grams: int) -> int:
    """What one friend may take of a drop of ``grams``: 30 % rounded down, at least 1 g."""
    return max(1, grams * STEAL_SHARE_PERCENT // 100)


def owner_keeps(grams: int) -> int:
    """What no friend can take: 40 % rounded up (so friends together take at most 60 %)."""
    return grams - grams * (100 - OWNER_KEEPS_PERCENT) // 100


def stealable_grams(drop: EnergyDrop) -> int:
    """What one more friend could take of this drop now (ignoring who they are)."""
    return max(0, min(steal_share(drop.grams), drop.remaining - owner_keeps(drop.grams)))


def _local_day(user_id: int, now: datetime) -> date:
    tz = Profile.objects.filter(user_id=user_id).values_list("time_zone", flat=True).first()
    return now.astimezone(zoneinfo.ZoneInfo(tz or "Europe/Amsterdam")).date()


def _on_hold(user_id: int) -> bool:
    return EnergyHold.objects.filter(user_id=user_id, released_at__isnull=True).exists()


def _require_friend(user_id: int, friend_id: int) -> None:
    if not are_friends(user_id, friend_id):
        raise NotFriends


def _frozen_message() -> str:
    return _(
        "Moving energy is paused for your account while we review unusual activity. "
        "Please contact support."
    )


# --------------------------------------------------------------------------------------------
# Stealing
# --------------------------------------------------------------------------------------------


def _take_from_drop(drop_id: int, take: int, keep: int, now: datetime) -> bool:
    """The conditional UPDATE: take ``take`` g only if the drop is still ripe past the grace,
    open, unexpired, and still holds ``take`` plus the owner's share. True if it did."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE forest_energydrop SET remaining = remaining - %s
               WHERE id = %s AND status = 'open' AND ripe_at <= %s AND expires_at > %s
                 AND remaining >= %s""",
            adapt_params([take, drop_id, now - STEAL_GRACE, now, take + keep]),
        )
        return cursor.rowcount == 1


def _refuse_drop(drop: EnergyDrop, now: datetime) -> None:
    """Raise why this drop cannot be stolen from, if it cannot."""
    state = drop.state_at(now)
    if state == "ripening":
        raise SocialError(_("This drop is not ripe yet."), code="ripening")
    if state != "ripe":
        raise SocialError(_("This drop is gone: collected or expired."), code="gone")
    if now < drop.ripe_at + STEAL_GRACE:
        raise SocialError(
            _("Your friend has the first two hours after ripening to collect it; come back later."),
            code="grace_period",
        )


@transaction.atomic
def drop_steal(
    *, stealer_id: int, owner_id: int, drop_id: int, now: datetime | None = None
) -> Stolen:
    now = now or timezone.now()
    _require_friend(stealer_id, owner_id)
    drop = EnergyDrop.objects.filter(pk=drop_id, user_id=owner_id).first()
    if drop is None:
        raise EnergyDrop.DoesNotExist
    if _on_hold(stealer_id):
        raise EnergyOnHold(_frozen_message())
    owner = Profile.objects.filter(user_id=owner_id).values("steal_opt_out", "locale").first()
    if (owner and owner["steal_opt_out"]) or _on_hold(owner_id):
        # One answer for both: a friend's fraud review is none of the stealer's business.
        raise SocialError(_("Your friend's drops are protected."), code="protected")

    # The stealer's row lock serialises their own steals, so the daily count cannot be beaten
    # by sending many at once (another user's steals never wait on it). NO KEY: the foreign
    # keys other transactions write to this user (a friend stealing from them) only take KEY
    # SHARE locks, which FOR UPDATE would block, and two friends would deadlock.
    get_user_model().objects.select_for_update(no_key=True).filter(pk=stealer_id).values_list(
        "pk"
    ).first()
    day = _local_day(stealer_id, now)
    mine = EnergyTransfer.objects.filter(to_user_id=stealer_id, kind=EnergyTransfer.Kind.STEAL)
    if mine.filter(drop_id=drop_id).exists():
        raise SocialError(_("You have taken from this drop already."), code="already_stolen")
    if mine.filter(day=day).count() >= STEALS_PER_DAY:
        raise SocialError(
            _("You have taken from %(n)s drops today, the most there is for a day.")
            % {"n": STEALS_PER_DAY},
            code="daily_limit",
        )

    keep = owner_keeps(drop.grams)
    share = steal_share(drop.grams)
    for _attempt in range(3):  # the owner or other friends may change the drop meanwhile
        _refuse_drop(drop, now)
        take = min(share, drop.remaining - keep)
        if take <= 0:
            raise SocialError(
                _("There is nothing left to take from this drop."), code="nothing_left"
            )
        if _take_from_drop(drop.id, take, keep, now):
            break
        drop.refresh_from_db(fields=["remaining", "status", "collected_at"])
    else:
        raise SocialError(_("This drop just changed; try again."), code="busy")

    try:
        with transaction.atomic():
            EnergyTransfer.objects.create(
                kind=EnergyTransfer.Kind.STEAL, from_user_id=owner_id, to_user_id=stealer_id,
                drop_id=drop.id, grams=take, day=day, created_at=now,
            )  # fmt: skip
    except IntegrityError as exc:  # the same steal submitted twice at once
        raise SocialError(
            _("You have taken from this drop already."), code="already_stolen"
        ) from exc
    key = f"steal:drop:{drop.id}:by:{stealer_id}"
    _move(
        rows=[
            (owner_id, Account.DROPS, EntryKind.STEAL, -take, f"{key}:out", drop.id),
            (stealer_id, Account.BALANCE, EntryKind.STEAL, take, f"{key}:in", drop.id),
        ],
        now=now,
    )
    _notify_stolen(owner_id, owner["locale"] if owner else "nl", stealer_id, drop.id, take)
    return Stolen(drop_id=drop.id, grams=take)


def _display_name(user_id: int) -> str:
    from forest.certificates import public_holder_name

    user = get_user_model().objects.select_related("profile").get(pk=user_id)
    return public_holder_name(user)


def _notify_stolen(owner_id: int, locale: str, stealer_id: int, drop_id: int, grams: int) -> None:
    """One inbox message per drop (the first friend's visit), in the owner's language."""
    from accounts.notifications import notification_dispatch

    with translation.override(locale):
        notification_dispatch(
            user_id=owner_id,
            topic="energy",
            kind=Notification.Kind.SYSTEM,
            title=_("A friend took energy from your drop"),
            body=_(
                "%(name)s took %(grams)s g from one of your drops. Friends can take at most "
                "%(share)s%% of a drop each; you can turn stealing off in your profile."
            )
            % {"name": _display_name(stealer_id), "grams": grams, "share": STEAL_SHARE_PERCENT},
            dedupe_key=f"steal:drop:{drop_id}",
        )


# --------------------------------------------------------------------------------------------
# Watering
# --------------------------------------------------------------------------------------------


def _debit_balance(user_id: int, grams: int) -> bool:
    """Take ``grams`` off the user's cached balance only if it covers them (no negative)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE forest_energybalance SET grams = grams - %s
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
    from forest.services.trees import _mature

    now = now or timezone.now()
    if grams not in WATER_GRAMS:
        raise SocialError(_("Water with 10, 18, 33 or 66 g."), code="invalid_grams", status=400)
    _require_friend(giver_id, friend_id)
    if _on_hold(giver_id):
        raise EnergyOnHold(_frozen_message())
    if _on_hold(friend_id):
        raise SocialError(_("Your friend's tree cannot be watered right now."), code="unavailable")
    tree = (
        Tree.objects.select_for_update(of=("self",))
        .select_related("species")
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
    EnergyLedgerEntry.objects.bulk_create(
        [
            EnergyLedgerEntry(
                user_id=giver_id, account=Account.BALANCE, kind=EntryKind.WATER, grams=-amount,
                idempotency_key=f"{key}:out", created_at=now,
            ),
            EnergyLedgerEntry(
                user_id=friend_id, account=Account.TREE, kind=EntryKind.WATER, grams=amount,
                idempotency_key=f"{key}:in", created_at=now,
            ),
        ]
    )  # fmt: skip
    balances_add({(friend_id, Account.TREE): amount})  # the giver's side: _debit_balance
    tree.energy_grams += amount
    matured = tree.energy_grams >= tree.species.energy_cost_grams
    if matured:
        _mature(tree, amount, now)
    else:
        tree.save(update_fields=["energy_grams", "updated_at"])
    _notify_watered(giver_id, friend_id, amount, day)
    return Watered(tree=tree, grams=amount, matured=matured)


def _notify_watered(giver_id: int, friend_id: int, grams: int, day: date) -> None:
    from accounts.notifications import notification_dispatch

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


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def friend_forest(*, viewer_id: int, friend_id: int, now: datetime | None = None) -> dict:
    """What a friend may see of a friend's forest: name, tree progress, ripe drops (grams
    only: not what they were earned for) and what the viewer could still take of each."""
    from forest.certificates import public_holder_name
    from forest.tree_selectors import tree_current

    now = now or timezone.now()
    _require_friend(viewer_id, friend_id)
    friend = get_user_model().objects.select_related("profile").get(pk=friend_id)
    protected = bool(getattr(getattr(friend, "profile", None), "steal_opt_out", False))
    protected = protected or _on_hold(friend_id)
    drops = list(
        EnergyDrop.objects.filter(
            user_id=friend_id, status=EnergyDrop.Status.OPEN, ripe_at__lte=now, expires_at__gt=now
        ).order_by("ripe_at", "id")[:100]
    )
    taken = set(
        EnergyTransfer.objects.filter(
            kind=EnergyTransfer.Kind.STEAL, to_user_id=viewer_id, drop_id__in=[d.id for d in drops]
        ).values_list("drop_id", flat=True)
    )
    rows = []
    for drop in drops:
        stealable_from = drop.ripe_at + STEAL_GRACE
        you_can = 0
        if not protected and drop.id not in taken and now >= stealable_from:
            you_can = stealable_grams(drop)
        rows.append(
            {
                "id": drop.id,
                "grams": drop.grams,
                "remaining_grams": drop.remaining,
                "stealable_grams": you_can,
                "stealable_from": stealable_from,
                "taken_by_you": drop.id in taken,
                "expires_at": drop.expires_at,
            }
        )
    tree = tree_current(friend_id)
    return {
        "user_id": friend_id,
        "display_name": public_holder_name(friend),
        "steal_protected": protected,
        "tree": (
            {
                "species": tree.species.name((translation.get_language() or "en")[:2]),
                "stage": tree.species.stage_for(tree.energy_grams),
                "progress_percent": tree.species.progress_percent(tree.energy_grams),
                "status": tree.status,
            }
            if tree
            else None
        ),
        "drops": rows,
    }


def social_activity(*, user_id: int, limit: int = 100) -> list[dict]:
    """Who took from your drops and watered your tree, and what you took and watered: the
    newest ``limit`` transfers, in one query, by display name (a deleted account shows as
    "A Canopy member"), also for people who are no longer friends."""
    from django.db.models import Q

    from forest.certificates import public_holder_name

    transfers = (
        EnergyTransfer.objects.filter(Q(from_user_id=user_id) | Q(to_user_id=user_id))
        .select_related("from_user__profile", "to_user__profile")
        .order_by("-created_at", "-id")[:limit]
    )
    rows = []
    for t in transfers:
        outgoing = t.from_user_id == user_id  # your drop was stolen from, or you watered
        other = t.to_user if outgoing else t.from_user
        if t.kind == EnergyTransfer.Kind.STEAL:
            direction = "stolen_from_you" if outgoing else "you_stole"
        else:
            direction = "you_watered" if outgoing else "watered_you"
        rows.append(
            {
                "kind": t.kind,
                "direction": direction,
                "friend_id": other.id,
                "friend_name": public_holder_name(other),
                "grams": t.grams,
                "drop_id": t.drop_id,
                "created_at": t.created_at,
            }
        )
    return rows


def friends_leaderboard(*, user_id: int, now: datetime | None = None, days: int = 7) -> list[dict]:
    """The user and their friends, ranked by grams earned (scored) in the last ``days`` days,
    then trees planted. Four queries whatever the number of friends."""
    from forest.certificates import public_holder_name

    now = now or timezone.now()
    ids = [user_id, *friend_ids(user_id)]
    users = get_user_model().objects.filter(pk__in=ids).select_related("profile")
    earned = dict(
        EnergyLedgerEntry.objects.filter(
            user_id__in=ids,
            account=Account.DROPS,
            kind=EntryKind.EARN,
            created_at__gte=now - timedelta(days=days),
        )
        .values("user_id")
        .annotate(total=Sum("grams"))
        .values_list("user_id", "total")
    )
    planted = dict(
        Tree.objects.filter(owner_id__in=ids, status=Tree.Status.PLANTED)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    rows = [
        {
            "user_id": u.id,
            "display_name": public_holder_name(u),
            "you": u.id == user_id,
            "earned_grams": int(earned.get(u.id) or 0),
            "trees_planted": planted.get(u.id, 0),
        }
        for u in users
    ]
    rows.sort(key=lambda r: (-r["earned_grams"], -r["trees_planted"], r["user_id"]))
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        score = (row["earned_grams"], row["trees_planted"])
        if score != previous:
            rank, previous = position, score
        row["rank"] = rank
    return rows
