"""The living demo's history: who joined when, and every night and morning since.

``demo_seed`` sets up the cast and the sponsors the day before the first veteran linked a
bank, then lives through the history: a week at a time while only the veterans are there,
then night by night for the six weeks everyone has been playing. The last night is the latest
02:00 whose drops have ripened, and Sanne does not open the app that morning, so her drops are
ripe to collect when a newcomer logs in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from importlib import import_module

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from accounts.models import Consent, LinkedFeed, Profile, Provider, User
from accounts.services.feeds import feed_link
from accounts.services.friends import friend_invite_accept, friend_invite_create
from catalogue.models import BrandForest, Campaign, Species, Sponsor, SponsorMembership
from demo.cast import (
    CONSUMER_EMAIL,
    CONSUMERS,
    DEMO_PASSWORD,
    FRIENDS,
    HISTORY_DAYS,
    OPERATOR_EMAIL,
    OTHER_FRIENDS,
    OTHER_SPONSOR_EMAIL,
    SPONSOR_EMAIL,
    TEAM,
    TEAM_NAME,
    VETERAN_DAYS,
    Consumer,
)
from demo.clock import clock_at, last_night_day, local
from demo.models import DemoState
from demo.nightly import Member, book, morning, night
from forest.services.teams import team_accept, team_create
from forest.services.trees import tree_start
from partners.demo import seed_demo_forests, seed_demo_other_forest
from partners.models import PlantingOrder
from partners.services.claims import claim_batch_create, claim_batch_download, claim_code_redeem
from partners.services.planting_orders import planting_order_transition

#: (role, e-mail, display name, is operator) of the accounts besides the consumers.
STAFF = (
    ("operator", OPERATOR_EMAIL, "admin", True),
    ("sponsor", SPONSOR_EMAIL, "Groene Winkel", False),
    ("other sponsor", OTHER_SPONSOR_EMAIL, "Ander Merk", False),
)
#: Codes of the claim batch that consumers redeem, by day of the history.
CLAIMERS = {-30: "joost", -21: "mila", -14: "sanne", -9: "noor", -3: "femke"}


def demo_user(email: str, name: str, *, operator: bool = False, hashed: str = "") -> User:
    """A demo account with the published password (created once; ``hashed``: its hash, made
    once for the whole cast, since hashing is slow on purpose)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        # Demo addresses count as verified, so the demo consumer can invite a team.
        fields = {"email_verified_at": timezone.now()}
        create = User.objects.create_superuser if operator else User.objects.create_user
        user = create(email=email, password=None, **fields)
        user.password = hashed or make_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(
        user=user, defaults={"display_name": name, "time_zone": "Europe/Amsterdam"}
    )
    return user


def demo_seed(say: Callable[[str], None]) -> DemoState:
    now = timezone.now()
    day0 = last_night_day(now)
    first = day0 - timedelta(days=VETERAN_DAYS)
    daily_from = day0 - timedelta(days=HISTORY_DAYS)
    with clock_at(local(first - timedelta(days=1), 10)):
        users, sponsors, forests = _cast_and_sponsors(say)
    members: dict[str, Member] = {}
    nights = [first + timedelta(days=d) for d in range(1, (daily_from - first).days, 7)] + [
        daily_from + timedelta(days=d) for d in range(0, HISTORY_DAYS + 1)
    ]
    booked_until = first
    campaigns: dict[str, Campaign] = {}
    codes: list[str] = []
    for n, day in enumerate(nights):
        offset = (day - day0).days
        for consumer in CONSUMERS:
            linked_on = day0 - timedelta(days=consumer.linked_days_ago)
            if consumer.key not in members and linked_on < day:
                with clock_at(local(max(linked_on, booked_until), 9)):
                    members[consumer.key] = _link(consumer, users, sponsors, forests, say)
        if offset == -HISTORY_DAYS + 2:
            with clock_at(local(day, 12)):
                campaigns = _campaigns(sponsors, day0)
                _friends_and_team(members, forests)
        with clock_at(local(day, 2)):
            days = [booked_until + timedelta(days=d) for d in range((day - booked_until).days)]
            book(list(members.values()), days)
            booked_until = day
            for line in night():
                if day == day0 or n % 20 == 0:
                    say(f"{day}: {line}")
        if offset == -32:
            with clock_at(local(day, 11)):
                codes = _claim_batch(sponsors, campaigns, users)
        claimer = CLAIMERS.get(offset)
        if claimer and codes:
            with clock_at(local(day - timedelta(days=1), 19)):
                claim_code_redeem(user_id=members[claimer].user_id, code=codes.pop())
        skip = {members["sanne"].user_id} if day == day0 and "sanne" in members else set()
        morning_at = local(day, 8) if day < day0 else min(local(day, 8), now - timedelta(minutes=1))
        with clock_at(morning_at):
            morning(list(members.values()), day=day, skip=skip)
        if day == day0:
            with clock_at(morning_at):
                _finale(forests, say)
    return DemoState.objects.create(seeded_at=now, history_days=VETERAN_DAYS)


def _finale(forests, say) -> None:
    """Ander Merk's field by the brook flooded: the newest order its partner had accepted there
    is cancelled (the money stays spent), so its tree waits, matured, for a new forest."""
    order = (
        PlantingOrder.objects.filter(
            forest=forests["andere-merk"], state=PlantingOrder.State.FUNDED
        )
        .order_by("-id")
        .first()
    )
    if order is not None:
        planting_order_transition(
            order_id=order.pk,
            to_state=PlantingOrder.State.CANCELLED,
            note="The planting site flooded; the sponsor cancelled this order.",
        )
        say(f"Ander Merk cancelled planting order {order.pk} (the field flooded).")


def _cast_and_sponsors(say) -> tuple[dict[str, User], dict[str, Sponsor], dict[str, BrandForest]]:
    users: dict[str, User] = {}
    hashed = make_password(DEMO_PASSWORD)
    for role, email, name, operator in STAFF:
        users[role] = demo_user(email, name, operator=operator, hashed=hashed)
    for consumer in CONSUMERS:
        users[consumer.key] = demo_user(consumer.email, consumer.name, hashed=hashed)
    users["consumer"] = users["sanne"]
    sponsor, _ = Sponsor.objects.get_or_create(
        slug="groene-winkel",
        defaults={"name": "Groene Winkel", "website": "https://groenewinkel.example"},
    )
    other, _ = Sponsor.objects.get_or_create(
        slug="andere-merk", defaults={"name": "Ander Merk", "website": "https://andermerk.example"}
    )
    SponsorMembership.objects.get_or_create(sponsor=sponsor, user=users["sponsor"])
    SponsorMembership.objects.get_or_create(sponsor=other, user=users["other sponsor"])
    for line in seed_demo_forests(sponsor=sponsor):
        say(line)
    for line in seed_demo_other_forest(sponsor=other):
        say(line)
    forests = {
        "groene-winkel": BrandForest.objects.filter(sponsor=sponsor).order_by("id")[0],
        "andere-merk": BrandForest.objects.filter(sponsor=other).order_by("id")[0],
    }
    return users, {"groene-winkel": sponsor, "andere-merk": other}, forests


def _link(consumer: Consumer, users, sponsors, forests, say) -> Member:
    """The consumer links their bank (Sanne: the sandbox bank, through the apps' hooks, which
    also start her first tree; the others: a sandbox-trust account their bookings arrive in)."""
    user = users[consumer.key]
    forest = forests[consumer.forest]
    if consumer.key == "sanne":
        for seed_demo in demo_hooks():
            for line in seed_demo(users=users, sponsor=sponsors["groene-winkel"]):
                say(line)
        feed = LinkedFeed.objects.get(user=user, provider=Provider.SANDBOX)
    else:
        feed = feed_link(
            user=user,
            provider=Provider.BERLIN_GROUP,
            sandbox=True,
            account_ref=consumer.account_ref or f"demo-{consumer.key}",
            display_name="Betaalrekening (sandbox)",
            scopes=[Consent.Scope.TRANSACTIONS],
            purpose_accepted=True,
        )
    return Member(consumer=consumer, user_id=user.pk, feed_id=feed.pk, forest_id=forest.pk)


def _campaigns(sponsors, day0: date) -> dict[str, Campaign]:
    today = timezone.localdate()
    running = {"starts_on": today, "ends_on": day0 + timedelta(days=45)}
    return {
        "groene-winkel": Campaign.objects.get_or_create(
            sponsor=sponsors["groene-winkel"],
            name="Fiets naar je werk",
            defaults={"match_merchants": ["ov fiets", "gvb"], "bonus_grams": 20,
                      "budget_grams": 60_000, **running},
        )[0],
        "andere-merk": Campaign.objects.get_or_create(
            sponsor=sponsors["andere-merk"],
            name="Tweedehands is de nieuwe mode",
            defaults={"match_merchants": ["vinted"], "bonus_grams": 40,
                      "budget_grams": 20_000, **running},
        )[0],
    }  # fmt: skip


def _friends_and_team(members: dict[str, Member], forests) -> None:
    pairs = [("sanne", key) for key in FRIENDS] + list(OTHER_FRIENDS)
    for inviter, invitee in pairs:
        invite = friend_invite_create(inviter_id=members[inviter].user_id)
        friend_invite_accept(user_id=members[invitee].user_id, code=invite.code)
    team = team_create(
        creator_id=members["sanne"].user_id,
        name=TEAM_NAME,
        user_ids=[members[key].user_id for key in TEAM[1:]],
    )
    for key in TEAM[1:]:
        team_accept(user_id=members[key].user_id, team_id=team.pk)
    oak = Species.objects.get(code="zomereik")
    tree_start(
        user_id=members["sanne"].user_id,
        species_id=oak.pk,
        forest_id=forests["groene-winkel"].pk,
        team_id=team.pk,
    )
    for key in TEAM:
        members[key].team_id = team.pk


def _claim_batch(sponsors, campaigns, users) -> list[str]:
    """Groene Winkel prints 25 codes of 150 g for its shop's receipts; some get redeemed."""
    now = timezone.now()
    batch = claim_batch_create(
        sponsor=sponsors["groene-winkel"],
        campaign=campaigns["groene-winkel"],
        name="Kassabon december",
        grams_per_code=150,
        code_count=25,
        valid_from=now,
        valid_until=now + timedelta(days=60),
        created_by=users["sponsor"],
    )
    download = claim_batch_download(
        batch_id=batch.pk, sponsor=sponsors["groene-winkel"], user=users["sponsor"]
    )
    return list(download.codes[: len(CLAIMERS)]) if download else []


def demo_hooks() -> list:
    """``seed_demo`` of every installed app's ``demo`` module, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if config.name == "demo" or not module_has_submodule(config.module, "demo"):
            continue
        module = import_module(f"{config.name}.demo")
        if hasattr(module, "seed_demo"):
            found.append(module.seed_demo)
    return found


def demo_iter_credentials() -> Iterator[str]:
    for role, email, _name, _op in STAFF:
        yield f"  {role:14} {email:32} {DEMO_PASSWORD}"
    yield f"  {'consumer':14} {CONSUMER_EMAIL:32} {DEMO_PASSWORD}"
    yield f"  (and {len(CONSUMERS) - 1} more consumers, *@example.nl, same password)"


def demo_members() -> list[Member]:
    """The demo's consumers as ``demo.nightly`` needs them, read back from the database."""
    from forest.models import TeamMembership

    users = {u.email: u.pk for u in User.objects.filter(email__in=[c.email for c in CONSUMERS])}
    feeds = dict(
        LinkedFeed.objects.filter(user_id__in=users.values())
        .order_by("id")
        .values_list("user_id", "id")
    )
    forests = {
        f.sponsor.slug: f.pk
        for f in BrandForest.objects.filter(sponsor__slug__in=["groene-winkel", "andere-merk"])
        .select_related("sponsor")
        .order_by("-id")
    }
    teams = dict(
        TeamMembership.objects.filter(user_id__in=users.values(), status="active").values_list(
            "user_id", "team_id"
        )
    )
    return [
        Member(
            consumer=c,
            user_id=users[c.email],
            feed_id=feeds.get(users[c.email]),
            forest_id=forests.get(c.forest),
            team_id=teams.get(users[c.email]),
        )
        for c in CONSUMERS
        if c.email in users
    ]
