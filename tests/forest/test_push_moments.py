"""The moments that reach the phone: each one's trigger, its topic switch, its language, and
once-only delivery when the task runs again (a retry, a redelivery)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification, OutboundMessage
from accounts.services.devices import push_device_register
from accounts.tasks import push_deliver_task
from forest.models import Tree
from forest.services.push_moments import (
    campaign_news_notify,
    drops_expiring_notify,
    ripe_energy_notify,
    steals_summary_notify,
)
from forest.services.social import STEAL_GRACE
from forest.services.steals import drop_steal
from forest.services.trees import tree_grow
from forest.tasks import (
    campaign_news_notify_task,
    drops_expiring_notify_task,
    ripe_energy_notify_task,
    steals_summary_notify_task,
)
from partners.services.evidence import survival_check_record
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.accounts.factories import UserFactory
from tests.accounts.fake_fcm import fcm_configured
from tests.accounts.friend_factories import befriend
from tests.forest.fraud_factories import EnergyDropFactory
from tests.forest.tree_factories import (
    BrandForestFactory,
    SpeciesFactory,
    TeamFactory,
    TreeFactory,
    give_energy,
)
from tests.partners.factories import CampaignFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 12, 7, 6, 15, tzinfo=UTC)  # 07:15 in Amsterdam


def pushes(user=None, **filters):
    rows = OutboundMessage.objects.filter(channel="push", **filters)
    if user is not None:
        rows = rows.filter(user=user)
    return list(rows.order_by("id"))


def person(locale="nl", **prefs):
    user = UserFactory(profile__locale=locale)
    for name, value in prefs.items():
        setattr(user.profile, name, value)
    user.profile.save()
    return user


# -- energy is ripe ---------------------------------------------------------------------------


def test_ripe_energy_is_one_push_per_user_and_day_never_one_per_drop():
    user, other = person(), person(locale="en")
    ripe_at = MORNING - timedelta(minutes=15)
    for grams in (40, 50, 60):
        EnergyDropFactory(user=user, grams=grams, ripe_at=ripe_at)
    EnergyDropFactory(user=other, grams=25, ripe_at=ripe_at)
    EnergyDropFactory(user=person(), ripe_at=MORNING + timedelta(hours=1))  # still ripening

    with time_machine.travel(MORNING, tick=False):
        told = ripe_energy_notify_task.delay().get()
    retried = ripe_energy_notify(now=MORNING + timedelta(minutes=15))

    assert told == 2 and retried == 0
    [push] = pushes(user)
    assert push.topic == "energy" and "150" in push.payload["body"]
    assert push.payload["locale"] == "nl" and push.payload["data"] == {"screen": "home"}
    assert pushes(other)[0].payload["locale"] == "en"
    assert pushes(other)[0].payload["title"] == "Your energy is ripe"
    assert len(pushes()) == 2
    # The phone only: the inbox is not filled with a daily "ripe" line.
    assert not Notification.objects.filter(user=user).exists()


def test_the_next_morning_is_a_new_message():
    user = person()
    EnergyDropFactory(user=user, ripe_at=MORNING - timedelta(minutes=10))
    ripe_energy_notify(now=MORNING)
    EnergyDropFactory(user=user, ripe_at=MORNING + timedelta(days=1) - timedelta(minutes=10))

    ripe_energy_notify(now=MORNING + timedelta(days=1))

    assert len(pushes(user)) == 2


def test_ripe_energy_respects_the_energy_switch():
    user = person(notify_energy=False)
    EnergyDropFactory(user=user, ripe_at=MORNING - timedelta(minutes=10))

    ripe_energy_notify(now=MORNING)

    assert pushes(user) == []


# -- drops about to expire ----------------------------------------------------------------------


def test_twelve_hours_before_expiry_one_push_per_user():
    user = person()
    expiring_at = MORNING + timedelta(hours=11)
    for grams in (30, 20):
        EnergyDropFactory(user=user, grams=grams, ripe_at=expiring_at - timedelta(hours=72))
    later = person()
    EnergyDropFactory(user=later, ripe_at=MORNING - timedelta(hours=48))  # 24 h left

    with time_machine.travel(MORNING, tick=False):
        drops_expiring_notify_task.delay().get()
    drops_expiring_notify(now=MORNING + timedelta(hours=1))  # the next hourly run

    [push] = pushes(user)
    assert "50" in push.payload["body"] and "11" in push.payload["body"]
    assert push.payload["expires_at"] == expiring_at.isoformat()
    assert pushes(later) == []


def test_collected_drops_are_not_a_reason():
    user = person()
    drop = EnergyDropFactory(user=user, ripe_at=MORNING - timedelta(hours=65))
    type(drop).objects.filter(pk=drop.pk).update(status="collected", remaining=0)

    assert drops_expiring_notify(now=MORNING) == 0


# -- friends took energy ------------------------------------------------------------------------


def test_steals_are_summarised_in_one_push_a_day():
    owner, ann, bo = person(), person(), person()
    befriend(owner, ann)
    befriend(owner, bo)
    ripe = timezone.now() - STEAL_GRACE - timedelta(minutes=5)
    first = EnergyDropFactory(user=owner, grams=100, ripe_at=ripe)
    second = EnergyDropFactory(user=owner, grams=100, ripe_at=ripe)
    drop_steal(stealer_id=ann.id, owner_id=owner.id, drop_id=first.id)
    drop_steal(stealer_id=bo.id, owner_id=owner.id, drop_id=first.id)
    drop_steal(stealer_id=ann.id, owner_id=owner.id, drop_id=second.id)
    assert pushes(owner) == []  # no push per steal (the inbox keeps one line per drop)
    assert Notification.objects.filter(user=owner).count() == 2

    told = steals_summary_notify_task.delay().get()
    again = steals_summary_notify()

    assert told == 1 and again == 0
    [push] = pushes(owner)
    assert push.payload["data"] == {"screen": "friends"}
    assert "2" in push.payload["body"] and "90" in push.payload["body"]  # 2 friends, 3 x 30 g


# -- trees ----------------------------------------------------------------------------------------


def test_a_matured_tree_tells_its_owner_once():
    user = person()
    species = SpeciesFactory(energy_cost_grams=500)
    forest = BrandForestFactory(species=[species], budget="50.00")
    tree = TreeFactory(owner=user, species=species, forest=forest, energy_grams=0)
    give_energy(user, 600)

    tree_grow(user_id=user.id, tree_id=tree.id, grams=500, request_key="r1")
    tree_grow(user_id=user.id, tree_id=tree.id, grams=500, request_key="r1")  # a retried request

    [push] = pushes(user, topic="trees")
    assert push.payload["data"] == {"screen": "tree", "tree_id": str(tree.id)}
    assert Notification.objects.filter(user=user, kind="tree").count() == 1


def test_a_team_tree_tells_every_active_member():
    creator, member = person(), person(locale="en")
    team = TeamFactory(created_by=creator, members=[member])
    species = SpeciesFactory(energy_cost_grams=300)
    forest = BrandForestFactory(species=[species], budget="50.00")
    tree = TreeFactory(owner=creator, team=team, species=species, forest=forest)
    give_energy(member, 300)

    tree_grow(user_id=member.id, tree_id=tree.id)

    assert [p.user_id for p in pushes(topic="trees")] == sorted([creator.id, member.id])


def _planted(user):
    forest = BrandForestFactory(name="Veluwe")
    tree = TreeFactory(owner=user, forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    return tree, order


def test_a_planted_tree_sends_its_certificate_link_once():
    user = person(locale="en")
    tree, order = _planted(user)
    tree.refresh_from_db()
    number = tree.certificate.number

    planting_order_transition(order_id=order.id, to_state="verified")  # no second message

    [push] = pushes(user, topic="trees")
    url = f"http://127.0.0.1:8000/certificates/{number}"
    assert push.payload["data"]["url"] == url and push.payload["data"]["certificate"] == number
    assert url in push.payload["body"] and "Veluwe" in push.payload["body"]
    assert push.payload["title"] == "Your tree has been planted"
    assert Tree.objects.get(pk=tree.pk).status == "planted"


def test_a_passed_survival_check_is_a_moment_and_a_failed_one_is_not():
    user = person()
    _, order = _planted(user)
    planting_order_transition(order_id=order.id, to_state="verified")

    survival_check_record(order_id=order.id, year=1, alive=True, checked_on=date(2027, 11, 1))
    survival_check_record(order_id=order.id, year=2, alive=False, checked_on=date(2028, 11, 1))

    keys = [p.dedupe_key for p in pushes(user, topic="trees")]
    assert keys == [
        f"tree:{order.tree_id}:planted:{user.id}:push",
        f"tree:{order.tree_id}:survival:1:{user.id}:push",
    ]


def test_tree_news_respects_the_trees_switch():
    user = person(notify_trees=False)

    _planted(user)

    assert pushes(user) == []
    assert Notification.objects.filter(user=user, kind="tree").count() == 1  # the inbox has it


# -- sponsor campaigns ----------------------------------------------------------------------------


def test_a_campaign_reaches_opted_in_users_of_its_segment_once():
    utrecht = person(notify_sponsors=True, city="Utrecht")
    elsewhere = person(notify_sponsors=True, city="Delft")
    not_opted_in = person(city="Utrecht")
    campaign = CampaignFactory(
        segment="city",
        segment_city="utrecht",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
    )
    CampaignFactory(starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 31))  # not yet

    with time_machine.travel(MORNING, tick=False):
        told = campaign_news_notify_task.delay().get()
    again = campaign_news_notify(now=MORNING + timedelta(days=1))

    assert told == 1 and again == 0
    [push] = pushes(utrecht)
    assert push.topic == "sponsors" and push.payload["data"]["campaign_id"] == str(campaign.id)
    assert campaign.sponsor.name in push.payload["title"]
    assert pushes(elsewhere) == [] and pushes(not_opted_in) == []


def test_a_spent_campaign_is_not_advertised():
    person(notify_sponsors=True)
    CampaignFactory(budget_grams=100, spent_grams=100)

    assert campaign_news_notify(now=MORNING) == 0


# -- end to end: a moment reaches the phone once, however often the tasks run ----------------------


def test_a_moment_reaches_the_phone_once_under_retried_tasks(settings):
    user = person()
    push_device_register(user_id=user.pk, token="sannes-phone", platform="ios")
    EnergyDropFactory(user=user, grams=80, ripe_at=MORNING - timedelta(minutes=5))

    with fcm_configured(settings) as fcm:
        for minutes in (0, 0, 15):  # the beat run, a redelivered copy, the next run
            with time_machine.travel(MORNING + timedelta(minutes=minutes), tick=False):
                ripe_energy_notify_task.delay().get()
                push_deliver_task.delay().get()

    assert fcm.delivered_to() == ["sannes-phone"]
    assert fcm.sends[0]["message"]["android"]["collapse_key"] == "energy-ripe"
