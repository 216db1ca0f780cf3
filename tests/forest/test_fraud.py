"""Fraud review: the sweep's detectors, the review actions, holds on collecting, the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.schedules import DEFAULT_SCHEDULES
from forest.models import EnergyDrop, EnergyHold, EnergyLedgerEntry, FraudSignal
from forest.services.fraud import (
    BOT_MIN_DAYS,
    CAP_MIN_DAYS,
    REFUND_MIN_CYCLES,
    SHARED_FEED_MIN_USERS,
    fraud_sweep,
)
from forest.services.fraud_review import (
    energy_holds_release,
    fraud_signals_confirm_and_freeze,
    fraud_signals_confirm_and_reverse,
    fraud_signals_dismiss,
)
from tests.accounts.factories import LinkedFeedFactory, UserFactory
from tests.forest.fraud_factories import (
    EnergyDropFactory,
    EnergyHoldFactory,
    FraudSignalFactory,
    collect_pattern,
    refund_pattern,
    rides_pattern,
    shared_account_pattern,
)
from tests.forest.helpers import assert_ledger_consistent, balance

pytestmark = pytest.mark.django_db

Kind = FraudSignal.Kind


def signals(kind=None):
    qs = FraudSignal.objects.all()
    return qs.filter(kind=kind) if kind else qs


# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------


def test_bot_like_collecting_fires_on_collects_seconds_after_ripening():
    bot, human = UserFactory(), UserFactory()
    collect_pattern(bot, days=BOT_MIN_DAYS + 1, seconds_after_ripe=1.2)
    collect_pattern(human, days=BOT_MIN_DAYS + 1, seconds_after_ripe=45 * 60)

    counts = fraud_sweep()

    assert counts[Kind.BOT_COLLECT] == 1
    signal = signals(Kind.BOT_COLLECT).get()
    assert signal.user == bot
    assert signal.status == FraudSignal.Status.OPEN
    assert signal.details["sniped_collects"] == BOT_MIN_DAYS + 1
    assert signal.details["days_with_snipes"] == BOT_MIN_DAYS + 1
    assert 1 <= float(signal.details["fastest_seconds"]) < 2
    assert signal.score == 100


def test_bot_like_collecting_needs_several_days():
    lucky = UserFactory()
    collect_pattern(lucky, days=BOT_MIN_DAYS - 1, seconds_after_ripe=1)
    fraud_sweep()
    assert not signals(Kind.BOT_COLLECT).exists()


def test_refund_cycling_fires_on_repeated_purchase_then_refund():
    cycler, returner = UserFactory(), UserFactory()
    refund_pattern(cycler, cycles=REFUND_MIN_CYCLES)
    refund_pattern(returner, cycles=REFUND_MIN_CYCLES, refunds=1)  # one return in a month

    fraud_sweep()

    signal = signals(Kind.REFUND_CYCLING).get()
    assert signal.user == cycler
    assert signal.details["refunds"] == REFUND_MIN_CYCLES
    assert signal.details["grams_clawed_back"] == signal.details["grams_earned"] > 0
    assert signal.score == 100
    assert_ledger_consistent()


def test_cap_pressing_fires_on_many_small_payments_at_the_cap_most_days():
    presser, commuter = UserFactory(), UserFactory()
    rides_pattern(presser, days=CAP_MIN_DAYS, rides_per_day=9)
    rides_pattern(commuter, days=CAP_MIN_DAYS + 3, rides_per_day=2)

    fraud_sweep()

    signal = signals(Kind.CAP_PRESSING).get()
    assert signal.user == presser
    assert signal.details["capped_days"] == CAP_MIN_DAYS
    assert signal.details["transactions_on_capped_days"] == CAP_MIN_DAYS * 9
    assert signal.details["action_types"] == ["public_transport"]


def test_cap_pressing_ignores_capped_days_of_large_payments():
    big_spender = UserFactory()
    rides_pattern(big_spender, days=CAP_MIN_DAYS, rides_per_day=9, fare="12.00")
    fraud_sweep()
    assert not signals(Kind.CAP_PRESSING).exists()


def test_shared_feed_account_fires_for_every_user_linking_it():
    farm = shared_account_pattern(users=SHARED_FEED_MIN_USERS)
    couple = shared_account_pattern(users=2, account_ref="NL02JOINT")  # a joint account
    LinkedFeedFactory()  # a normal user

    fraud_sweep()

    found = signals(Kind.SHARED_FEED)
    assert {s.user_id for s in found} == {u.id for u in farm}
    assert not found.filter(user__in=couple).exists()
    signal = found.get(user=farm[0])
    feed = farm[0].feeds.get()
    assert signal.details == {"users_sharing": SHARED_FEED_MIN_USERS, "feeds": [feed.id]}


def test_a_normal_user_raises_nothing():
    user = UserFactory()
    collect_pattern(user, days=5, seconds_after_ripe=3600)
    rides_pattern(user, days=10, rides_per_day=2)
    refund_pattern(user, cycles=2, refunds=1)
    assert sum(fraud_sweep().values()) == 0
    assert not FraudSignal.objects.exists()


def test_sweeping_again_updates_the_open_signal_instead_of_adding_one():
    bot = UserFactory()
    collect_pattern(bot, days=BOT_MIN_DAYS, seconds_after_ripe=1)
    shared_account_pattern(users=SHARED_FEED_MIN_USERS)
    fraud_sweep(now=timezone.now() - timedelta(minutes=1))
    first = signals(Kind.BOT_COLLECT).get()
    assert signals().count() == 1 + SHARED_FEED_MIN_USERS

    # a new snipe today
    ripe_at = timezone.now() - timedelta(minutes=5)
    drop = EnergyDropFactory(user=bot, ripe_at=ripe_at)
    from forest.services.energy import drop_collect

    drop_collect(user_id=bot.id, drop_id=drop.id, now=ripe_at + timedelta(seconds=1))
    fraud_sweep()

    assert signals().count() == 1 + SHARED_FEED_MIN_USERS
    again = signals(Kind.BOT_COLLECT).get()
    assert again.id == first.id
    assert again.first_seen_at == first.first_seen_at
    assert again.last_seen_at > first.last_seen_at
    assert again.details["sniped_collects"] == BOT_MIN_DAYS + 1


def test_a_dismissed_pattern_stays_quiet_but_the_database_allows_one_open_signal_only():
    bot = UserFactory()
    collect_pattern(bot, days=BOT_MIN_DAYS, seconds_after_ripe=1)
    fraud_sweep()
    signal = signals(Kind.BOT_COLLECT).get()
    fraud_signals_dismiss(signal_ids=[signal.id])
    fraud_sweep()
    assert signals(Kind.BOT_COLLECT).get().status == FraudSignal.Status.DISMISSED

    FraudSignalFactory(user=bot, kind=Kind.BOT_COLLECT)
    with pytest.raises(IntegrityError), transaction.atomic():
        FraudSignalFactory(user=bot, kind=Kind.BOT_COLLECT)


def test_the_sweep_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for _ in range(3):
        collect_pattern(UserFactory(), days=BOT_MIN_DAYS, seconds_after_ripe=1)
    shared_account_pattern(users=4)
    # one statement per detector (five), plus the savepoint and its release in the test's atomic
    with django_assert_max_num_queries(7):
        fraud_sweep()
    for _ in range(12):
        collect_pattern(UserFactory(), days=BOT_MIN_DAYS, seconds_after_ripe=1)
    shared_account_pattern(users=20, account_ref="NL09BIGFARM")
    with django_assert_max_num_queries(7):
        counts = fraud_sweep()
    assert counts[Kind.BOT_COLLECT] == 15
    assert counts[Kind.SHARED_FEED] == 24


def test_the_command_prints_progress_and_the_schedule_exists(capsys):
    collect_pattern(UserFactory(), days=BOT_MIN_DAYS, seconds_after_ripe=1)
    call_command("fraud_sweep")
    out = capsys.readouterr().out
    assert "Bot-like collecting: 1 open signals" in out
    assert "1 open for review" in out
    assert DEFAULT_SCHEDULES["forest: fraud sweep"][0] == "forest.tasks.fraud_sweep_task"


def test_the_task_sweeps():
    from forest.tasks import fraud_sweep_task

    shared_account_pattern(users=SHARED_FEED_MIN_USERS)
    assert fraud_sweep_task.delay().get() == SHARED_FEED_MIN_USERS


# --------------------------------------------------------------------------------------------
# Review actions
# --------------------------------------------------------------------------------------------


@pytest.fixture
def operator():
    return UserFactory(is_staff=True, is_superuser=True)


def test_dismiss_records_the_reviewer_once(operator):
    signal = FraudSignalFactory()
    first = fraud_signals_dismiss(signal_ids=[signal.id], reviewer=operator)
    second = fraud_signals_dismiss(signal_ids=[signal.id], reviewer=operator)
    assert (first.signals, second.signals, second.skipped) == (1, 0, 1)
    signal.refresh_from_db()
    assert signal.status == FraudSignal.Status.DISMISSED
    assert signal.reviewed_by == operator
    assert signal.reviewed_at is not None


def test_confirm_and_freeze_places_one_hold(operator):
    signal = FraudSignalFactory()
    first = fraud_signals_confirm_and_freeze(signal_ids=[signal.id], reviewer=operator)
    second = fraud_signals_confirm_and_freeze(signal_ids=[signal.id], reviewer=operator)
    assert (first.signals, first.holds) == (1, 1)
    assert (second.signals, second.holds) == (0, 0)
    hold = EnergyHold.objects.get()
    assert (hold.user_id, hold.signal_id, hold.created_by) == (signal.user_id, signal.id, operator)
    signal.refresh_from_db()
    assert signal.status == FraudSignal.Status.CONFIRMED


def test_a_dismissed_signal_is_not_confirmed_or_frozen(operator):
    signal = FraudSignalFactory()
    fraud_signals_dismiss(signal_ids=[signal.id])
    result = fraud_signals_confirm_and_freeze(signal_ids=[signal.id], reviewer=operator)
    assert (result.signals, result.skipped, result.holds) == (0, 1, 0)
    assert not EnergyHold.objects.exists()


def test_confirm_and_reverse_takes_back_open_drops_through_the_ledger(operator):
    user = UserFactory()
    ripe = EnergyDropFactory(user=user, grams=300)
    ripening = EnergyDropFactory(user=user, grams=80, ripe_at=timezone.now() + timedelta(hours=3))
    collected = EnergyDropFactory(user=user, grams=52)
    from forest.services.energy import drop_collect

    drop_collect(user_id=user.id, drop_id=collected.id)
    others = EnergyDropFactory(grams=70)
    signal = FraudSignalFactory(user=user)

    first = fraud_signals_confirm_and_reverse(signal_ids=[signal.id], reviewer=operator)
    second = fraud_signals_confirm_and_reverse(signal_ids=[signal.id], reviewer=operator)

    assert (first.signals, first.drops, first.grams) == (1, 2, 380)
    assert (second.signals, second.drops, second.grams) == (0, 0, 0)
    reversals = EnergyLedgerEntry.objects.filter(kind="reversal").order_by("drop_id")
    assert [(e.idempotency_key, e.grams, e.account) for e in reversals] == [
        (f"fraud:drop:{ripe.id}", -300, "drops"),
        (f"fraud:drop:{ripening.id}", -80, "drops"),
    ]
    statuses = dict(EnergyDrop.objects.values_list("id", "status"))
    assert statuses[ripe.id] == statuses[ripening.id] == "expired"
    assert statuses[collected.id] == "collected"
    assert statuses[others.id] == "open"
    assert balance(user, "drops") == 0
    assert balance(user) == 52  # collected energy stays; the hold is a separate action
    assert_ledger_consistent()


def test_release_hold_is_idempotent(operator):
    hold = EnergyHoldFactory()
    assert energy_holds_release(user_ids=[hold.user_id], released_by=operator) == 1
    assert energy_holds_release(user_ids=[hold.user_id], released_by=operator) == 0
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == operator


# --------------------------------------------------------------------------------------------
# Holds on the collect API
# --------------------------------------------------------------------------------------------


def test_a_frozen_user_gets_403_on_collect_and_collect_all(user, user_client):
    drop = EnergyDropFactory(user=user)
    EnergyHoldFactory(user=user)

    one = user_client.post(f"/api/v1/drops/{drop.id}/collect")
    every = user_client.post("/api/v1/drops/collect-all")

    for response in (one, every):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "energy_on_hold"
        assert "paused" in response.json()["detail"]
    drop.refresh_from_db()
    assert drop.status == "open"
    assert balance(user) == 0
    assert_ledger_consistent()


def test_the_403_message_is_dutch_for_dutch_clients(user, user_client):
    EnergyHoldFactory(user=user)
    response = user_client.post("/api/v1/drops/collect-all", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 403
    assert "gepauzeerd" in response.json()["detail"]


def test_a_released_hold_and_other_users_do_not_block_collecting(user, user_client):
    drop = EnergyDropFactory(user=user)
    EnergyHoldFactory(user=user, released_at=timezone.now())
    EnergyHoldFactory()  # someone else is frozen
    response = user_client.post(f"/api/v1/drops/{drop.id}/collect")
    assert response.status_code == 200, response.content
    assert response.json()["collected_grams"] == 52
    assert user_client.post("/api/v1/drops/collect-all").status_code == 200
    assert_ledger_consistent()


# --------------------------------------------------------------------------------------------
# Admin
# --------------------------------------------------------------------------------------------


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/forest/fraudsignal/",
        "/admin/forest/fraudsignal/?kind__exact=bot_collect&status__exact=open&severity__exact=medium",
        "/admin/forest/fraudsignal/?q=example.nl",
        "/admin/forest/energyhold/",
        "/admin/forest/energyhold/?released_at__isempty=1",
    ],
)
def test_fraud_admin_pages_render(operator_client, url):
    FraudSignalFactory()
    EnergyHoldFactory()
    assert operator_client.get(url).status_code == 200


def test_the_signal_page_shows_details_and_links_and_saves_the_note(operator_client):
    user = UserFactory()
    feed = LinkedFeedFactory(user=user, account_ref="NL01FARM")
    signal = FraudSignalFactory(
        user=user, kind=Kind.SHARED_FEED, details={"users_sharing": 3, "feeds": [feed.id]}
    )
    url = f"/admin/forest/fraudsignal/{signal.id}/change/"
    page = operator_client.get(url).content.decode()
    assert "users linking the same account" in page
    assert '?provider=sandbox&amp;account_ref=NL01FARM">sandbox:NL01FARM</a>' in page
    assert (
        '<img src="/static/admin/img/icon-no.svg"'
        in operator_client.get("/admin/forest/fraudsignal/").content.decode()
    )  # not on hold
    targets = [
        "forest/energyledgerentry", "forest/greenaction", "forest/energydrop",
        "accounts/linkedfeed", "forest/energyhold",
    ]  # fmt: skip
    for target in targets:
        link = f"/admin/{target}/?user__id__exact={user.id}"
        assert link in page
        assert operator_client.get(link).status_code == 200, target
    feeds = operator_client.get("/admin/accounts/linkedfeed/?provider=sandbox&account_ref=NL01FARM")
    assert feeds.status_code == 200

    response = operator_client.post(url, {"review_note": "Same IBAN as two others."})
    assert response.status_code == 302
    signal.refresh_from_db()
    assert signal.review_note == "Same IBAN as two others."
    assert signal.status == FraudSignal.Status.OPEN


@pytest.mark.parametrize(
    ("action", "status", "holds"),
    [
        ("dismiss", "dismissed", 0),
        ("confirm_and_freeze", "confirmed", 1),
        ("confirm_and_reverse", "confirmed", 0),
    ],
)
def test_admin_actions_review_the_selected_signals(operator_client, action, status, holds):
    signal = FraudSignalFactory()
    drop = EnergyDropFactory(user=signal.user)
    for _ in range(2):  # clicking twice changes things once
        response = operator_client.post(
            "/admin/forest/fraudsignal/",
            {"action": action, "_selected_action": [signal.id]},
            follow=True,
        )
        assert response.status_code == 200
    signal.refresh_from_db()
    assert signal.status == status
    assert EnergyHold.objects.filter(user=signal.user).count() == holds
    drop.refresh_from_db()
    assert drop.status == ("expired" if action == "confirm_and_reverse" else "open")
    assert_ledger_consistent()


def test_admin_release_hold_actions(operator_client):
    signal = FraudSignalFactory()
    fraud_signals_confirm_and_freeze(signal_ids=[signal.id])
    operator_client.post(
        "/admin/forest/fraudsignal/",
        {"action": "release_hold", "_selected_action": [signal.id]},
    )
    assert not EnergyHold.objects.filter(released_at__isnull=True).exists()

    hold = EnergyHoldFactory()
    operator_client.post(
        "/admin/forest/energyhold/", {"action": "release", "_selected_action": [hold.id]}
    )
    hold.refresh_from_db()
    assert hold.released_at is not None
