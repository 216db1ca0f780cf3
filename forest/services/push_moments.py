"""The game's daily moments on the phone: energy ripe, drops expiring, friends took energy,
a sponsor's campaign (docs/push.md).

Each runs from a periodic task, finds its users with one grouped query, writes each user one
message in their language, and hands them all to accounts' ``push_dispatch_many`` (a few
queries per 500 users: these run for every user each day). The dedupe key names the user and
the local day (or the campaign), and accounts stores it under a unique constraint: a retried
or doubled task sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Notification, Profile
from accounts.services.notifications import PushSpec, push_dispatch_many
from catalogue.models import Campaign
from core.timezones import DEFAULT_TIME_ZONE, local_day
from forest.models import EnergyDrop, EnergyTransfer, GreenAction
from forest.scoring.campaigns import DORMANT_DAYS, NEW_USER_DAYS

# How far back a drop's ripening still earns the morning push (the task runs every 15 min;
# a missed run or a worker restart must not lose the morning).
RIPE_LOOKBACK = timedelta(hours=6)
EXPIRY_WARNING = timedelta(hours=12)
_BATCH = 500


@dataclass(frozen=True)
class _Person:
    locale: str
    time_zone: str


def _people(user_ids: Iterable[int]) -> dict[int, _Person]:
    ids = list(user_ids)
    people: dict[int, _Person] = {}
    for start in range(0, len(ids), _BATCH):
        rows = Profile.objects.filter(user_id__in=ids[start : start + _BATCH]).values_list(
            "user_id", "locale", "time_zone"
        )
        people.update({uid: _Person(loc, tz) for uid, loc, tz in rows})
    return people


def _person(people: dict[int, _Person], user_id: int) -> _Person:
    return people.get(user_id) or _Person(Profile.Locale.NL, DEFAULT_TIME_ZONE)


def ripe_energy_notify(*, now: datetime | None = None) -> int:
    """Morning: one push per user whose drops ripened lately, whatever the number of drops."""
    now = now or timezone.now()
    rows = list(
        EnergyDrop.objects.filter(
            status=EnergyDrop.Status.OPEN,
            remaining__gt=0,
            ripe_at__lte=now,
            ripe_at__gt=now - RIPE_LOOKBACK,
            expires_at__gt=now,
        )
        .values("user_id")
        .annotate(grams=Sum("remaining"), drops=Count("id"), expires=Min("expires_at"))
        .order_by("user_id")
    )
    people = _people(r["user_id"] for r in rows)
    pushes = []
    for row in rows:
        person = _person(people, row["user_id"])
        with translation.override(person.locale):
            pushes.append(
                PushSpec(
                    user_id=row["user_id"],
                    title=_("Your energy is ripe"),
                    body=ngettext(
                        "%(grams)s g of green energy is ready to collect.",
                        "%(grams)s g of green energy in %(drops)s drops is ready to collect.",
                        row["drops"],
                    )
                    % {"grams": row["grams"], "drops": row["drops"]},
                    dedupe_key=f"push:ripe:{row['user_id']}:{local_day(now, person.time_zone)}",
                    locale=person.locale,
                    data={"screen": "home"},
                    expires_at=row["expires"],
                    collapse_key="energy-ripe",
                )
            )
    return push_dispatch_many(topic="energy", kind=Notification.Kind.SYSTEM, pushes=pushes, now=now)


def drops_expiring_notify(*, now: datetime | None = None) -> int:
    """One push per user whose open drops expire within 12 hours."""
    now = now or timezone.now()
    rows = list(
        EnergyDrop.objects.filter(
            status=EnergyDrop.Status.OPEN,
            remaining__gt=0,
            ripe_at__lte=now,
            expires_at__gt=now,
            expires_at__lte=now + EXPIRY_WARNING,
        )
        .values("user_id")
        .annotate(grams=Sum("remaining"), expires=Min("expires_at"))
        .order_by("user_id")
    )
    people = _people(r["user_id"] for r in rows)
    pushes = []
    for row in rows:
        person = _person(people, row["user_id"])
        hours = max(1, round((row["expires"] - now).total_seconds() / 3600))
        day = local_day(row["expires"], person.time_zone)
        with translation.override(person.locale):
            pushes.append(
                PushSpec(
                    user_id=row["user_id"],
                    title=_("Your energy is about to expire"),
                    body=ngettext(
                        "Collect your %(grams)s g within the hour, or it is lost.",
                        "Collect your %(grams)s g within %(hours)s hours, or it is lost.",
                        hours,
                    )
                    % {"grams": row["grams"], "hours": hours},
                    dedupe_key=f"push:expiring:{row['user_id']}:{day}",
                    locale=person.locale,
                    data={"screen": "home"},
                    expires_at=row["expires"],
                    collapse_key="energy-expiring",
                )
            )
    return push_dispatch_many(topic="energy", kind=Notification.Kind.SYSTEM, pushes=pushes, now=now)


def steals_summary_notify(*, now: datetime | None = None) -> int:
    """Evening: one push per user summarising what friends took from them in the last day
    (each steal also has its own inbox message, written when it happened)."""
    now = now or timezone.now()
    rows = list(
        EnergyTransfer.objects.filter(
            kind=EnergyTransfer.Kind.STEAL, created_at__gt=now - timedelta(days=1)
        )
        .values("from_user_id")
        .annotate(grams=Sum("grams"), friends=Count("to_user_id", distinct=True))
        .order_by("from_user_id")
    )
    people = _people(r["from_user_id"] for r in rows)
    pushes = []
    for row in rows:
        owner = row["from_user_id"]
        person = _person(people, owner)
        with translation.override(person.locale):
            pushes.append(
                PushSpec(
                    user_id=owner,
                    title=_("Friends visited your forest"),
                    body=ngettext(
                        "A friend took %(grams)s g of your energy today. Collect your ripe "
                        "drops early to keep them.",
                        "%(friends)s friends took %(grams)s g of your energy today. Collect "
                        "your ripe drops early to keep them.",
                        row["friends"],
                    )
                    % {"grams": row["grams"], "friends": row["friends"]},
                    dedupe_key=f"push:steals:{owner}:{local_day(now, person.time_zone)}",
                    locale=person.locale,
                    data={"screen": "friends"},
                    collapse_key="energy-steals",
                )
            )
    return push_dispatch_many(topic="energy", kind=Notification.Kind.SYSTEM, pushes=pushes, now=now)


def _campaign_audience(campaign: Campaign, now: datetime) -> list[int]:
    """Users the campaign is for (its segment, as scoring reads it) who opted in to sponsor
    news and pushes. One query."""
    users = Profile.objects.filter(user__is_active=True, notify_sponsors=True, push_enabled=True)
    if campaign.segment == Campaign.Segment.NEW_USERS:
        users = users.filter(user__date_joined__gte=now - timedelta(days=NEW_USER_DAYS))
    elif campaign.segment == Campaign.Segment.CITY:
        users = users.filter(city__iexact=campaign.segment_city)
    elif campaign.segment == Campaign.Segment.DORMANT:
        since = (now - timedelta(days=DORMANT_DAYS)).date()
        earned = GreenAction.objects.filter(grams__gt=0, booking_date__gte=since)
        users = users.exclude(user_id__in=earned.values("user_id"))
    return list(users.values_list("user_id", flat=True).order_by("user_id"))


def campaign_news_notify(*, now: datetime | None = None) -> int:
    """A sponsor's campaign that runs today, to the opted-in users it is for: once per
    campaign and user; accounts holds sponsor pushes to one a week per user."""
    now = now or timezone.now()
    today = local_day(now, DEFAULT_TIME_ZONE)
    campaigns = Campaign.objects.filter(
        Q(starts_on__lte=today, ends_on__gte=today, is_active=True)
    ).select_related("sponsor")
    sent = 0
    for campaign in campaigns.order_by("id"):
        if campaign.spent_grams >= campaign.budget_grams:
            continue
        audience = _campaign_audience(campaign, now)
        people = _people(audience)
        pushes = []
        for user_id in audience:
            locale = _person(people, user_id).locale
            with translation.override(locale):
                pushes.append(
                    PushSpec(
                        user_id=user_id,
                        title=_("Extra energy from %(sponsor)s")
                        % {"sponsor": campaign.sponsor.name},
                        body=_(
                            "%(campaign)s: earn bonus energy until %(ends)s with your green "
                            "purchases."
                        )
                        % {"campaign": campaign.name, "ends": campaign.ends_on.strftime("%d-%m")},
                        dedupe_key=f"push:campaign:{campaign.id}:{user_id}",
                        locale=locale,
                        data={"screen": "campaign", "campaign_id": str(campaign.id)},
                        expires_at=now + timedelta(days=1),
                    )
                )
        sent += push_dispatch_many(
            topic="sponsors", kind=Notification.Kind.SYSTEM, pushes=pushes, now=now
        )
    return sent
