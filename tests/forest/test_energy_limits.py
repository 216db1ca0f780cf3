"""The economy's pace knobs in scoring: the per-user daily total cap and the first-night cap."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forest.models import EnergyLimits, GreenAction
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_drops_match_actions, assert_ledger_consistent, score_all

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def pay(feed, merchant: str, amount: str, day: date = DAY, **kwargs):
    return TransactionFactory(
        feed=feed, merchant_name=merchant, amount=Decimal(amount), booking_date=day, **kwargs
    )


def limits(total: int | None, first: int | None) -> None:
    EnergyLimits.objects.update_or_create(
        pk=1, defaults={"daily_total_cap_grams": total, "first_night_cap_grams": first}
    )


def base_by_day(user) -> dict[date, int]:
    out: dict[date, int] = {}
    for action in GreenAction.objects.filter(user=user):
        out[action.booking_date] = out.get(action.booking_date, 0) + action.base_grams
    return out


def test_the_shipped_defaults_cap_a_day_and_a_first_night_at_about_ant_forests_walking_cap():
    current = EnergyLimits.current()
    assert (current.daily_total_cap_grams, current.first_night_cap_grams) == (300, 300)


def test_the_daily_total_cap_spans_every_action_type_of_a_day_and_later_nights():
    limits(total=300, first=None)
    feed = LinkedFeedFactory()
    pay(feed, "NS", "-12.40", mcc="4112")  # rail: capped at its own 200
    pay(feed, "GVB", "-3.20", mcc="4111")  # 52
    pay(feed, "Vinted", "-20.00")  # second hand: 250 by its cap, 48 left of the day
    score_all()
    assert base_by_day(feed.user) == {DAY: 300}

    pay(feed, "GVB", "-3.20", mcc="4111")  # booked the same day, scored a night later
    pay(feed, "GVB", "-3.20", mcc="4111", day=DAY + timedelta(days=1))
    score_all()
    assert base_by_day(feed.user) == {DAY: 300, DAY + timedelta(days=1): 52}
    late = GreenAction.objects.filter(user=feed.user, booking_date=DAY).order_by("id").last()
    assert (late.estimated_grams, late.base_grams) == (52, 0)  # the why shows both
    assert_ledger_consistent()
    assert_drops_match_actions()


def test_another_users_day_does_not_count_against_mine():
    limits(total=300, first=None)
    mine, theirs = LinkedFeedFactory(), LinkedFeedFactory()
    for feed in (mine, theirs):
        pay(feed, "NS", "-12.40", mcc="4112")
        pay(feed, "Vinted", "-20.00")
    score_all()
    assert base_by_day(mine.user) == base_by_day(theirs.user) == {DAY: 300}


def test_a_first_night_with_weeks_of_history_earns_its_newest_green_day_only():
    limits(total=300, first=300)
    feed = LinkedFeedFactory()
    for back in range(42):
        pay(feed, "NS", "-12.40", mcc="4112", day=DAY - timedelta(days=back))
        pay(feed, "Vinted", "-20.00", day=DAY - timedelta(days=back))
    pay(feed, "KLM", "-300.00", mcc="3007", day=DAY + timedelta(days=1))  # earns nothing
    score_all()
    earned = {day: grams for day, grams in base_by_day(feed.user).items() if grams}
    assert earned == {DAY: 300}  # one day's total, not 42 days' worth
    assert GreenAction.objects.filter(user=feed.user).count() == 85  # every one explained

    # From the second night on only the daily caps apply.
    pay(feed, "NS", "-12.40", mcc="4112", day=DAY + timedelta(days=1))
    pay(feed, "NS", "-12.40", mcc="4112", day=DAY + timedelta(days=2))
    score_all()
    assert base_by_day(feed.user)[DAY + timedelta(days=1)] == 200
    assert base_by_day(feed.user)[DAY + timedelta(days=2)] == 200
    assert_ledger_consistent()


def test_empty_limits_switch_the_caps_off():
    limits(total=None, first=None)
    feed = LinkedFeedFactory()
    for back in range(3):
        pay(feed, "NS", "-12.40", mcc="4112", day=DAY - timedelta(days=back))
        pay(feed, "Vinted", "-20.00", day=DAY - timedelta(days=back))
    score_all()
    assert set(base_by_day(feed.user).values()) == {450}  # each rule's own cap only


def test_the_first_night_cap_can_be_lower_than_a_day():
    limits(total=300, first=100)
    feed = LinkedFeedFactory()
    for back in range(3):
        pay(feed, "NS", "-12.40", mcc="4112", day=DAY - timedelta(days=back))
    score_all()
    assert {day: g for day, g in base_by_day(feed.user).items() if g} == {DAY: 100}


def test_caps_left_today_never_promise_more_than_the_day_total_has_left():
    from forest.selectors.green_actions import caps_left_today

    limits(total=300, first=None)
    feed = LinkedFeedFactory()
    pay(feed, "NS", "-12.40", mcc="4112")
    score_all()

    caps = {c["action_type"]: c for c in caps_left_today(feed.user_id, today=DAY)}

    assert caps["rail"]["left_grams"] == 0
    assert caps["total"] == {"action_type": "total", "cap_grams": 300, "left_grams": 100}
    assert caps["second_hand"]["left_grams"] == 100  # its own cap is 250
    limits(total=None, first=None)
    caps = {c["action_type"]: c for c in caps_left_today(feed.user_id, today=DAY)}
    assert "total" not in caps and caps["second_hand"]["left_grams"] == 250
