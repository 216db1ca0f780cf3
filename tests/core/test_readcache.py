"""The read model's cache (core/readcache.py): a hit is the same answer with no SQL, a writer
that commits during a build leaves nothing stale behind, the clock alone moves a document on,
and every kind of write is seen by the very next GET."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core import readcache
from forest.models import EnergyDrop, EnergyLimits, Tree
from forest.services.energy import drops_expire
from tests.accounts.factories import TransactionFactory, UserFactory
from tests.accounts.friend_factories import befriend
from tests.clients import api_client_for
from tests.forest.helpers import ripe_time, score_all, two_rides_scored
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory, give_energy

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/transactions", "/api/v1/ledger", "/api/v1/friends", "/api/v1/friends/leaderboard"]


@pytest.fixture
def scored(user):
    return two_rides_scored(user)


def cached(user_id: int) -> bool:
    """Whether the user has a generation token, i.e. documents that a next GET may hit."""
    return cache.get(readcache._user_key(user_id)) is not None


def no_sql(queries) -> bool:
    """Nothing but the savepoint pair the tests' own transaction gives every read
    (core/transactions.py); outside a test's transaction a hit makes no statement at all."""
    return all(q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for q in queries)


@pytest.mark.parametrize("path", ["/api/v1/forest", *LISTS])
def test_a_hit_is_the_same_answer_and_makes_no_sql(user_client, user, scored, path):
    befriend(user, UserFactory())
    first = user_client.get(path)
    assert first.status_code == 200, first.content
    with CaptureQueriesContext(connection) as queries:
        second = user_client.get(path)
    assert no_sql(queries.captured_queries), queries.captured_queries
    assert second.content == first.content
    for header in ("Content-Type", "Allow", "Vary"):
        assert second.headers.get(header) == first.headers.get(header)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_hit_makes_no_statement_at_all(django_assert_num_queries):
    user = UserFactory()
    client = api_client_for(user)
    client.get("/api/v1/forest")
    with django_assert_num_queries(0):
        client.get("/api/v1/forest")


def test_the_miss_is_the_json_the_renderer_writes(user_client, scored):
    from core.renderers import ORJSONRenderer
    from forest.api.energy import ForestHomeApi

    body = user_client.get("/api/v1/forest").content
    assert body == ORJSONRenderer().render(user_client.get("/api/v1/forest").json())
    assert ForestHomeApi  # the view whose document this is


def test_the_browsable_api_and_indented_json_are_always_built(user_client, scored):
    user_client.get("/api/v1/forest")
    indented = user_client.get("/api/v1/forest", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b"{\n")


def test_documents_are_per_user_path_query_and_language(user_client, user, scored):
    page = user_client.get("/api/v1/ledger?page_size=1").json()
    assert len(page["results"]) == 1
    assert len(user_client.get("/api/v1/ledger").json()["results"]) > 1
    other = UserFactory()
    assert api_client_for(other).get("/api/v1/forest").json()["balance_grams"] == 0
    dutch = user_client.get("/api/v1/forest", HTTP_ACCEPT_LANGUAGE="nl")
    assert dutch.status_code == 200


def test_a_writer_committing_during_the_build_leaves_no_stale_document(user):
    """The stamp is read before the build: a write that lands during it drops that stamp."""
    found = readcache.lookup(user.id, "home")
    assert found.body is None and found.stamp is not None
    # ... the view reads the rows here; a writer commits and drops the user's documents ...
    readcache.users_changed([user.id])
    readcache.store(user.id, "home", stamp=found.stamp, body=b'{"old": true}')
    assert readcache.lookup(user.id, "home").body is None
    # Without the write, the same sequence is a hit.
    found = readcache.lookup(user.id, "home")
    readcache.store(user.id, "home", stamp=found.stamp, body=b'{"new": true}')
    assert readcache.lookup(user.id, "home").body == b'{"new": true}'


def test_everyone_changed_drops_every_users_documents(user):
    found = readcache.lookup(user.id, "home")
    readcache.store(user.id, "home", stamp=found.stamp, body=b"{}")
    readcache.everyone_changed()
    assert readcache.lookup(user.id, "home").body is None


def test_a_document_is_not_served_at_or_past_its_horizon(user):
    found = readcache.lookup(user.id, "home", now=1000.0)
    readcache.store(user.id, "home", stamp=found.stamp, body=b"{}", horizon=1010.0, now=1000.0)
    assert readcache.lookup(user.id, "home", now=1009.0).body == b"{}"
    assert readcache.lookup(user.id, "home", now=1010.0).body is None


@pytest.mark.parametrize(("draw", "served_until"), [(0.0, 1030.0), (1.0, 1024.0)])
def test_a_documents_age_limit_is_shortened_at_random_never_lengthened(
    user, monkeypatch, settings, draw, served_until
):
    """Documents built together do not all end (and get rebuilt) in the same second."""
    settings.CANOPY_READ_CACHE_SECONDS = 30
    monkeypatch.setattr(readcache.random, "random", lambda: draw)
    found = readcache.lookup(user.id, "friends", now=1000.0)
    readcache.store(user.id, "friends", stamp=found.stamp, body=b"{}", now=1000.0)
    assert readcache.lookup(user.id, "friends", now=served_until - 0.1).body == b"{}"
    assert readcache.lookup(user.id, "friends", now=served_until).body is None


def test_a_drop_ripens_on_the_home_screen_with_no_write(user_client, scored):
    assert {d["state"] for d in user_client.get("/api/v1/forest").json()["drops"]} == {"ripening"}
    with time_machine.travel(ripe_time()):
        states = [d["state"] for d in user_client.get("/api/v1/forest").json()["drops"]]
    assert "ripe" in states


def test_a_drop_expires_from_the_home_screen_with_no_write(user_client, scored):
    last = EnergyDrop.objects.order_by("-expires_at").first().expires_at
    with time_machine.travel(ripe_time()):
        assert user_client.get("/api/v1/forest").json()["drops"]
    with time_machine.travel(last + timedelta(seconds=1)):
        assert user_client.get("/api/v1/forest").json()["drops"] == []


def test_the_home_document_ends_at_local_midnight(user_client, user):
    zone = timezone.get_current_timezone()
    evening = timezone.make_aware(datetime(2026, 3, 10, 23, 59, 30), zone)
    with time_machine.travel(evening, tick=False):
        user_client.get("/api/v1/forest")
        key = next(k for k in cache._cache if ":rc:d:" in k)  # locmem: the one document
        horizon = float(cache.get(key.split(":", 2)[2]).split(b"|")[1])
    assert horizon <= timezone.make_aware(datetime(2026, 3, 11), zone).timestamp()


def test_the_cache_off_builds_every_read(user_client, scored, settings):
    settings.CANOPY_READ_CACHE = False
    user_client.get("/api/v1/forest")
    with CaptureQueriesContext(connection) as queries:
        user_client.get("/api/v1/forest")
    assert not no_sql(queries.captured_queries)


# Every kind of write: the next GET shows it.


def test_a_collect_is_on_the_next_home_and_ledger(user_client, scored):
    with time_machine.travel(ripe_time()):
        assert user_client.get("/api/v1/forest").json()["balance_grams"] == 0
        before = user_client.get("/api/v1/ledger").json()["count"]
        assert user_client.post("/api/v1/drops/collect-all").status_code == 200
        assert user_client.get("/api/v1/forest").json()["balance_grams"] > 0
        assert user_client.get("/api/v1/ledger").json()["count"] > before


def test_nightly_scoring_is_on_the_next_home_and_transactions(user_client, user, scored):
    drops = len(user_client.get("/api/v1/forest").json()["drops"])
    listed = user_client.get("/api/v1/transactions").json()["count"]
    caps = user_client.get("/api/v1/forest").json()["caps_today"]
    TransactionFactory(
        feed=scored, merchant_name="Swapfiets", amount=Decimal("-19.90"),
        booking_date=timezone.localdate(),
    )  # fmt: skip
    assert user_client.get("/api/v1/transactions").json()["count"] == listed + 1
    score_all()
    body = user_client.get("/api/v1/forest").json()
    assert len(body["drops"]) == drops + 1
    assert body["caps_today"] != caps


def test_set_based_writers_drop_the_users_documents(user_client, user, scored):
    user_client.get("/api/v1/forest")
    assert cached(user.id)
    with time_machine.travel(EnergyDrop.objects.order_by("-expires_at").first().expires_at):
        drops_expire()
    assert not cached(user.id)
    user_client.get("/api/v1/forest")
    TransactionFactory(feed=scored, merchant_name="NS", amount=Decimal("-7"))
    score_all()  # the chunk's users, after its commit
    assert not cached(user.id)


def test_an_import_is_on_the_next_transactions_page(user_client, user, scored):
    from accounts.services.importing import feed_file_import

    before = user_client.get("/api/v1/transactions").json()["count"]
    csv = (
        "transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,"
        "merchant_id,mcc,category,description\n"
        f"RC-1,booked,{timezone.localdate()},{timezone.localdate()},-4.50,EUR,Albert Heijn,,"
        "5411,groceries,Albert Heijn 1234 Amsterdam\n"
    )
    feed_file_import(
        feed=scored, file=io.BytesIO(csv.encode()), file_name="t.csv", source="upload",
        format="csv",
    )  # fmt: skip
    assert user_client.get("/api/v1/transactions").json()["count"] == before + 1


def test_a_feed_revoked_redacts_the_next_transactions_page(user_client, user, scored):
    from accounts.services.feeds import feed_revoke

    assert any(r["description"] for r in user_client.get("/api/v1/transactions").json()["results"])
    feed_revoke(feed=scored)
    rows = user_client.get("/api/v1/transactions").json()["results"]
    assert not any(r["description"] for r in rows)


def test_friendships_are_on_both_friends_lists_at_once(user):
    from accounts.services.friends import friend_invite_accept, friend_invite_create, friend_remove

    other = UserFactory()
    mine, theirs = api_client_for(user), api_client_for(other)
    assert mine.get("/api/v1/friends").json() == theirs.get("/api/v1/friends").json() == []
    code = friend_invite_create(inviter_id=user.id).code
    friend_invite_accept(user_id=other.id, code=code)
    assert [r["user_id"] for r in mine.get("/api/v1/friends").json()] == [other.id]
    assert [r["user_id"] for r in theirs.get("/api/v1/friends").json()] == [user.id]
    assert len(mine.get("/api/v1/friends/leaderboard").json()) == 2
    friend_remove(user_id=other.id, friend_id=user.id)
    assert mine.get("/api/v1/friends").json() == []
    assert len(mine.get("/api/v1/friends/leaderboard").json()) == 1


def test_a_change_to_the_limits_is_on_everyones_next_home(user_client, scored):
    before = user_client.get("/api/v1/forest").json()["caps_today"]
    limits = EnergyLimits.current()
    limits.daily_total_cap_grams = 7
    limits.save()
    after = user_client.get("/api/v1/forest").json()["caps_today"]
    assert after != before
    assert after[-1]["cap_grams"] == 7


def test_growing_a_tree_is_on_the_next_home(user_client, user):
    species = SpeciesFactory(energy_cost_grams=1_000)
    tree = TreeFactory(owner=user, species=species, forest=BrandForestFactory(species=[species]))
    give_energy(user, 300)
    assert user_client.get("/api/v1/forest").json()["tree"]["energy_grams"] == 0
    assert user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json").status_code == 200
    assert user_client.get("/api/v1/forest").json()["tree"]["energy_grams"] == 300


def test_a_planted_tree_is_on_the_next_home(user_client, user, django_capture_on_commit_callbacks):
    from forest.services.trees import tree_mark_planted

    species = SpeciesFactory(energy_cost_grams=1_000)
    tree = TreeFactory(owner=user, species=species, forest=BrandForestFactory(species=[species]))
    Tree.objects.filter(pk=tree.pk).update(
        status=Tree.Status.MATURED, energy_grams=1_000, matured_at=timezone.now()
    )
    readcache.user_changed(user.id)  # the test's own update
    assert user_client.get("/api/v1/forest").json()["tree"]["certificate_number"] is None
    with django_capture_on_commit_callbacks(execute=True):
        tree_mark_planted(tree_id=tree.id, at=None)
    home = user_client.get("/api/v1/forest").json()
    assert home["tree"]["phase"] == "planted"
    assert home["tree"]["certificate_number"]


def test_a_team_trees_growth_drops_every_members_documents(django_capture_on_commit_callbacks):
    from forest.services.teams import team_accept, team_create
    from forest.services.trees import tree_grow, tree_start

    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    team_accept(user_id=bram.id, team_id=team.id)
    species = SpeciesFactory(energy_cost_grams=1_000)
    forest = BrandForestFactory(species=[species])
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(anna, 200)
    api_client_for(bram).get("/api/v1/forest")
    assert cached(bram.id)
    with django_capture_on_commit_callbacks(execute=True):
        tree_grow(user_id=anna.id, tree_id=tree.id, grams=200)
    assert not cached(bram.id)


def test_any_successful_write_by_the_user_drops_their_documents(user_client, user, scored):
    user_client.get("/api/v1/forest")
    assert cached(user.id)
    user_client.post("/api/v1/friends/invite")
    assert not cached(user.id)
    user_client.get("/api/v1/forest")
    assert user_client.post("/api/v1/drops/999999/collect").status_code == 404
    assert cached(user.id)  # a refused write changed nothing


# The hit before DRF (core/readviews.py): a bearer token, one round trip.


def bearer(user) -> APIClient:
    from rest_framework_simplejwt.tokens import AccessToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/v1/forest", *LISTS])
def test_with_a_token_a_hit_makes_no_statement(path, django_assert_num_queries):
    user = UserFactory()
    client = bearer(user)
    first = client.get(path)
    assert first.status_code == 200, first.content
    with django_assert_num_queries(0):
        second = client.get(path)
    assert second.content == first.content
    assert dict(second.headers) == dict(first.headers) | {"X-Request-ID": second["X-Request-ID"]}


def test_a_hit_still_refuses_a_deactivated_user_or_a_changed_password(user):
    client = bearer(user)
    assert client.get("/api/v1/forest").status_code == 200
    assert client.get("/api/v1/forest").status_code == 200  # the hit
    user.set_password("another-password-1234")
    user.save()
    assert client.get("/api/v1/forest").status_code == 401
    assert bearer(UserFactory(is_active=False)).get("/api/v1/forest").status_code == 401
    assert APIClient().get("/api/v1/forest").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.get("/api/v1/forest").status_code == 401


def test_a_hit_counts_in_the_throttle_and_a_request_over_it_is_a_429(user, settings, mocker):
    from rest_framework.throttling import SimpleRateThrottle

    mocker.patch.object(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": None})
    client = bearer(user)
    assert [client.get("/api/v1/forest").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/forest")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60


def test_indented_json_and_the_browsable_api_go_through_drf(user):
    client = bearer(user)
    client.get("/api/v1/forest")
    assert client.get("/api/v1/forest", HTTP_ACCEPT="application/json; indent=2").content[:2] == (
        b"{\n"
    )
    assert b"<html" in client.get("/api/v1/forest", HTTP_ACCEPT="text/html").content.lower()


def test_a_friends_steal_is_on_the_owners_next_home():
    from forest.services.social import STEAL_GRACE
    from tests.forest.fraud_factories import EnergyDropFactory

    owner, stealer = UserFactory(), UserFactory()
    befriend(owner, stealer)
    ripe_at = timezone.now() - STEAL_GRACE - timedelta(minutes=5)
    drop = EnergyDropFactory(user=owner, grams=52, ripe_at=ripe_at)
    home = api_client_for(owner)
    assert [d["grams"] for d in home.get("/api/v1/forest").json()["drops"]] == [52]
    stolen = api_client_for(stealer).post(f"/api/v1/friends/{owner.id}/drops/{drop.id}/steal")
    assert stolen.status_code == 200, stolen.content
    assert [d["grams"] for d in home.get("/api/v1/forest").json()["drops"]] == [37]


# Social documents (the friends list, the leaderboard): stamped with every shown user's token.

SOCIAL = ["/api/v1/friends", "/api/v1/friends/leaderboard"]
# On Redis the other users' tokens are checked in the lookup's round trip by a script (social)
# or read in a second one; the locmem cache always reads them in Python.
SCRIPT = pytest.mark.parametrize("script", [True, False], ids=["script", "second_trip"])


def _test_redis_url() -> str:
    """Database 14 of the broker's Redis (of the local one under another broker): the
    fixture empties it, so never the broker's own database."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    base = urlsplit(broker if broker.startswith("redis://") else "redis://127.0.0.1:6379/0")
    return urlunsplit(base._replace(path="/14"))


# The Redis variant runs where a real broker does (CI's PostgreSQL runs, on Redis); without
# one it is deselected, as the other tests that need a service are (tests/conftest.py).
@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.broker)])
def backend(request, settings):
    """The locmem cache the tests run on, and the Redis one production runs on."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": _test_redis_url()}
        }
        cache.clear()
    yield request.param
    if request.param == "redis":
        cache.clear()


@SCRIPT
def test_a_social_document_ends_with_any_shown_users_write(user, backend, script):
    friend, other = UserFactory(), UserFactory()
    found = readcache.lookup(user.id, "leaderboard", social=script)
    tokens = readcache.user_tokens([friend.id, other.id], known=found.others)
    readcache.store(user.id, "leaderboard", stamp=found.stamp, body=b"[1]", others=tokens)
    hit = readcache.lookup(user.id, "leaderboard", social=script)
    assert hit.body == b"[1]"
    readcache.users_changed([other.id])
    assert readcache.lookup(user.id, "leaderboard", social=script).body is None


@SCRIPT
def test_a_friends_write_committing_during_the_build_leaves_no_stale_document(
    user, backend, script
):
    """The friend's token is read before the build reads the friend's rows."""
    friend = UserFactory()
    found = readcache.lookup(user.id, "friends", social=script)
    tokens = readcache.user_tokens([friend.id], known=found.others)
    # ... the view reads the friend's rows here; the friend's write commits and drops ...
    readcache.users_changed([friend.id])
    readcache.store(user.id, "friends", stamp=found.stamp, body=b"[old]", others=tokens)
    found = readcache.lookup(user.id, "friends", social=script)
    assert found.body is None
    # The friend's token is missing now: the next build sets a new one before it reads.
    assert found.others == {friend.id: None}
    tokens = readcache.user_tokens([friend.id], known=found.others)
    assert tokens[friend.id] is not None
    readcache.store(user.id, "friends", stamp=found.stamp, body=b"[new]", others=tokens)
    assert readcache.lookup(user.id, "friends", social=script).body == b"[new]"


@SCRIPT
def test_the_tokens_a_miss_read_are_the_ones_the_build_keeps(user, backend, script):
    """A miss for a friend's write read the other friends' tokens already (before the build):
    the build stamps with those and sets only the missing one."""
    first, second = UserFactory(), UserFactory()
    found = readcache.lookup(user.id, "friends", social=script)
    tokens = readcache.user_tokens([first.id, second.id])
    readcache.store(user.id, "friends", stamp=found.stamp, body=b"[]", others=tokens)
    readcache.user_changed(second.id)
    found = readcache.lookup(user.id, "friends", social=script)
    assert found.body is None
    assert found.others == {first.id: tokens[first.id], second.id: None}
    again = readcache.user_tokens([first.id, second.id], known=found.others)
    assert again[first.id] == tokens[first.id]
    assert again[second.id] not in (None, tokens[second.id])


@SCRIPT
def test_a_token_deleted_as_it_was_read_keeps_nothing(user, backend, script):
    friend = UserFactory()
    found = readcache.lookup(user.id, "friends", social=script)
    readcache.store(user.id, "friends", stamp=found.stamp, body=b"[]", others={friend.id: None})
    assert readcache.lookup(user.id, "friends", social=script).body is None


def social_reads_sql(client, friend) -> list[bool]:
    """For each social list: whether reading it ran SQL (was built), with the friend shown."""
    built = []
    for path in SOCIAL:
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(path).json()
        assert friend.id in {r["user_id"] for r in rows}
        built.append(not no_sql(queries.captured_queries))
    return built


def test_a_friends_collect_ends_the_readers_social_documents_at_once(user, backend):
    friend = UserFactory()
    befriend(user, friend)
    two_rides_scored(friend)
    reader = api_client_for(user)
    with time_machine.travel(ripe_time()):
        assert social_reads_sql(reader, friend) == [True, True]
        assert social_reads_sql(reader, friend) == [False, False]  # hits
        assert api_client_for(friend).post("/api/v1/drops/collect-all").status_code == 200
        assert social_reads_sql(reader, friend) == [True, True]


def test_a_friends_nightly_scoring_is_on_the_readers_next_leaderboard(user, backend):
    friend = UserFactory()
    befriend(user, friend)
    feed = two_rides_scored(friend)
    reader = api_client_for(user)

    def earned() -> int:
        rows = reader.get("/api/v1/friends/leaderboard").json()
        return next(r["earned_grams"] for r in rows if r["user_id"] == friend.id)

    before = earned()
    assert earned() == before  # the hit
    TransactionFactory(
        feed=feed, merchant_name="Swapfiets", amount=Decimal("-19.90"),
        booking_date=timezone.localdate(),
    )  # fmt: skip
    score_all()  # a set-based chunk: the friend's token after its commit
    assert earned() > before


def test_a_friends_new_name_and_deactivation_are_on_the_readers_next_lists(user, backend):
    friend = UserFactory(profile__display_name="Tess")
    befriend(user, friend)
    reader = api_client_for(user)
    assert [r["display_name"] for r in reader.get("/api/v1/friends").json()] == ["Tess"]
    assert reader.get("/api/v1/friends").json()[0]["display_name"] == "Tess"  # the hit
    friend.profile.display_name = "Tessa"
    friend.profile.save()
    assert [r["display_name"] for r in reader.get("/api/v1/friends").json()] == ["Tessa"]
    assert len(reader.get("/api/v1/friends/leaderboard").json()) == 2
    friend.is_active = False
    friend.save()
    assert reader.get("/api/v1/friends").json() == []
    assert len(reader.get("/api/v1/friends/leaderboard").json()) == 1
    friend.is_active = True  # back: the reader's documents named the friend's token
    friend.save()
    assert len(reader.get("/api/v1/friends").json()) == 1
    assert len(reader.get("/api/v1/friends/leaderboard").json()) == 2


def test_a_friends_write_during_the_build_is_not_served(user, monkeypatch, backend):
    friend = UserFactory()
    befriend(user, friend)
    reader = api_client_for(user)
    read_tokens = readcache.user_tokens

    def then_the_friend_writes(user_ids, **kwargs):
        tokens = read_tokens(user_ids, **kwargs)
        readcache.users_changed([friend.id])  # commits while the view reads the rows
        return tokens

    monkeypatch.setattr(readcache, "user_tokens", then_the_friend_writes)
    assert social_reads_sql(reader, friend) == [True, True]
    monkeypatch.setattr(readcache, "user_tokens", read_tokens)
    assert social_reads_sql(reader, friend) == [True, True]  # built again, not the stale one
    assert social_reads_sql(reader, friend) == [False, False]


def test_the_leaderboard_ends_when_an_earning_leaves_the_week(user, settings, backend):
    from tests.forest.fraud_factories import EnergyDropFactory

    settings.CANOPY_READ_CACHE_SECONDS = 30 * 86400  # only the clock ends it here
    friend = UserFactory()
    befriend(user, friend)
    earned_at = timezone.now() - timedelta(days=6)
    for grams, day in ((40, 0), (2, 2)):  # earned (the entry's created_at) 5 h before ripe_at
        ripe_at = earned_at + timedelta(days=day, hours=5)
        EnergyDropFactory(user=friend, grams=grams, ripe_at=ripe_at)
    reader = api_client_for(user)

    def earned() -> int:
        rows = reader.get("/api/v1/friends/leaderboard").json()
        return next(r["earned_grams"] for r in rows if r["user_id"] == friend.id)

    assert earned() == 42
    with time_machine.travel(earned_at + timedelta(days=7, seconds=-1)):
        with CaptureQueriesContext(connection) as queries:
            assert earned() == 42
        assert no_sql(queries.captured_queries)  # still the document
    with time_machine.travel(earned_at + timedelta(days=7, seconds=1)):
        assert earned() == 2
    with time_machine.travel(earned_at + timedelta(days=9, seconds=1)):
        assert earned() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", SOCIAL)
def test_with_friends_a_social_hit_makes_no_statement(path, django_assert_num_queries, backend):
    from tests.forest.fraud_factories import EnergyDropFactory

    user = UserFactory()
    for _ in range(3):
        friend = UserFactory()
        befriend(user, friend)
        EnergyDropFactory(user=friend, grams=10)
    client = bearer(user)
    first = client.get(path)
    assert first.status_code == 200 and len(first.json()) >= 3
    with django_assert_num_queries(0):
        second = client.get(path)
    assert second.content == first.content


def test_the_tokens_keys_are_the_caches_own(backend, settings):
    ids = [7, 123]
    expected = [cache.make_key(readcache._user_key(u)) for u in ids]
    assert readcache._made_user_keys(ids) == expected
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "canopy", "VERSION": 3}
    }
    assert readcache._made_user_keys(ids) == [cache.make_key(readcache._user_key(u)) for u in ids]
    assert readcache._made_user_keys(ids) != expected
