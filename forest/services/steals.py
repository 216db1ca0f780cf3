"""Stealing a share of a friend's ripe drop (rules: ``forest.services.social``)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification, Profile
from accounts.services.notifications import notification_dispatch
from core.locks import lock_user
from core.sql import table
from forest.models import EnergyDrop, EnergyTransfer
from forest.models.energy import Account, EntryKind
from forest.scoring.sql import adapt_params
from forest.services.holds import energy_hold_active, energy_hold_refuse
from forest.services.ledger import ledger_append
from forest.services.social import (
    STEAL_GRACE,
    STEAL_SHARE_PERCENT,
    STEALS_PER_DAY,
    SocialError,
    Stolen,
    _display_name,
    _local_day,
    _require_friend,
    owner_keeps,
    steal_share,
)


def _take_from_drop(drop_id: int, take: int, keep: int, now: datetime) -> bool:
    """The conditional UPDATE: take ``take`` g only if the drop is still ripe past the grace,
    open, unexpired, and still holds ``take`` plus the owner's share. True if it did."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table(EnergyDrop)} SET remaining = remaining - %s
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
    energy_hold_refuse(stealer_id, action="move")
    owner = Profile.objects.filter(user_id=owner_id).values("steal_opt_out", "locale").first()
    if (owner and owner["steal_opt_out"]) or energy_hold_active(owner_id):
        # One answer for both: a friend's fraud review is none of the stealer's business.
        raise SocialError(_("Your friend's drops are protected."), code="protected")

    # The stealer's row lock serialises their own steals, so the daily count cannot be beaten
    # by sending many at once (another user's steals never wait on it). NO KEY: the foreign
    # keys other transactions write to this user (a friend stealing from them) only take KEY
    # SHARE locks, which FOR UPDATE would block, and two friends would deadlock.
    lock_user(stealer_id)
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
    ledger_append(
        rows=[
            (owner_id, Account.DROPS, EntryKind.STEAL, -take, f"{key}:out", drop.id),
            (stealer_id, Account.BALANCE, EntryKind.STEAL, take, f"{key}:in", drop.id),
        ],
        now=now,
    )
    _notify_stolen(owner_id, owner["locale"] if owner else "nl", stealer_id, drop.id, take)
    return Stolen(drop_id=drop.id, grams=take)


def _notify_stolen(owner_id: int, locale: str, stealer_id: int, drop_id: int, grams: int) -> None:
    """One inbox message per drop (the first friend's visit), in the owner's language. No push
    per steal: the phone gets the day's summary (``push_moments.steals_summary_notify``)."""
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
            push=False,
        )
