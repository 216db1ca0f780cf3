"""DELETE /api/v1/me and the admin's "Erase personal data (GDPR)": what goes, what stays."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import (
    Consent,
    ImportBatch,
    LinkedFeed,
    Notification,
    OutboundMessage,
    PlaidItem,
    Profile,
    PushDevice,
    Transaction,
    User,
)
from accounts.selectors.users import user_is_erased
from accounts.services.devices import push_device_register
from forest.models import (
    Certificate,
    EnergyBalance,
    EnergyDrop,
    EnergyLedgerEntry,
    GreenAction,
    TeamInvitation,
    TeamMembership,
    Tree,
)
from forest.services.certificates import certificate_png
from forest.services.energy import drops_collect_all
from forest.services.trees import tree_grow
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from privacy.erasure import user_erase
from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    LinkedFeedFactory,
    PlaidItemFactory,
    TransactionFactory,
    UserFactory,
)
from tests.accounts.feed_helpers import import_fixture
from tests.accounts.plaid_helpers import use_plaid_http
from tests.forest.helpers import assert_ledger_consistent, score_all
from tests.forest.tree_factories import (
    BrandForestFactory,
    TeamFactory,
    TeamInvitationFactory,
    TreeFactory,
    give_energy,
)

pytestmark = pytest.mark.django_db

EMAIL = "sanne.de.vries@example.nl"
TOKEN = "access-production-1f0e1c9a-7b64-4d9e-9a55-0c3f2b7e8d41"
ITEM_ID = "Ed6bjNrDLJfGvZWwnkQlfxwoNz54B5C97ejBr"


@pytest.fixture
def sanne(db):
    user = UserFactory(email=EMAIL, first_name="Sanne", last_name="de Vries")
    Profile.objects.filter(user=user).update(display_name="Sanne", city="Utrecht")
    return user


def _login(email: str = EMAIL, password: str = DEFAULT_PASSWORD):
    return APIClient().post("/api/v1/auth/token", {"email": email, "password": password})


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _delete(client, password=DEFAULT_PASSWORD, capture=None):
    if capture is None:
        return client.delete("/api/v1/me", {"password": password}, format="json")
    with capture(execute=True):
        return client.delete("/api/v1/me", {"password": password}, format="json")


def _planted_tree(owner):
    forest = BrandForestFactory(name="Amsterdamse Bos", sponsor__name="Groene Bank")
    tree = TreeFactory(owner=owner, forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    tree.refresh_from_db()
    return tree


def _ledger_sums() -> dict:
    return {
        (row["user_id"], row["account"]): row["total"]
        for row in EnergyLedgerEntry.objects.values("user_id", "account").annotate(
            total=Sum("grams")
        )
    }


def _with_history(user):
    """A scored, collected, grown and planted life in Canopy, plus an inbox and a team."""
    feed = LinkedFeedFactory(user=user, account_ref="NL91ABNA0417164300", display_name="ING")
    import_fixture(feed, "week1.csv")
    TransactionFactory(feed=feed, merchant_name="GVB", description="GVB reis Sanne")
    score_all()
    ripe = EnergyDrop.objects.filter(user=user).order_by("ripe_at").first().ripe_at
    drops_collect_all(user_id=user.id, now=ripe + timedelta(minutes=1))
    give_energy(user, 400)
    planted = _planted_tree(user)
    growing = TreeFactory(owner=user)
    tree_grow(user_id=user.id, tree_id=growing.id, grams=300)
    Notification.objects.create(user=user, kind="system", title="Hoi Sanne", dedupe_key="s1")
    push_device_register(user_id=user.id, token=f"phone-of-{user.id}", platform="android")
    return feed, planted, growing


def test_a_wrong_password_changes_nothing(sanne, capsys):
    feed = LinkedFeedFactory(user=sanne)
    TransactionFactory(feed=feed, merchant_name="GVB")
    client = APIClient()
    client.force_authenticate(user=sanne)

    for body in ({"password": "not-my-password"}, {"password": ""}, {}, None):
        response = client.delete("/api/v1/me", body, format="json")
        assert response.status_code == 400, body

    response = _delete(client, "not-my-password")
    assert response.json()["code"] == "wrong_password"
    assert "password" in response.json()["detail"]
    sanne.refresh_from_db()
    assert sanne.email == EMAIL and sanne.is_active and sanne.first_name == "Sanne"
    assert LinkedFeed.objects.get(pk=feed.pk).status == "active"
    assert Transaction.objects.get(feed=feed).merchant_name == "GVB"
    assert _login().status_code == 200


def test_a_wrong_password_answers_in_dutch(sanne):
    client = APIClient()
    client.force_authenticate(user=sanne)
    response = client.delete(
        "/api/v1/me", {"password": "fout"}, format="json", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Het huidige wachtwoord klopt niet."


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '"a string"',
        "null",
        '{"password": ["x"]}',
        '{"password": {"a": 1}}',
        '{"password": null}',
        '{"password": 12345}',
    ],
)
def test_junk_bodies_are_a_4xx(sanne, body):
    client = APIClient()
    client.force_authenticate(user=sanne)
    response = client.delete("/api/v1/me", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    sanne.refresh_from_db()
    assert sanne.is_active


def test_deleting_erases_personal_data_everywhere(sanne, django_capture_on_commit_callbacks):
    # given
    feed, _, _ = _with_history(sanne)
    team = TeamFactory(created_by=sanne, members=[UserFactory()])
    TeamInvitationFactory(team=team, invited_by=sanne, email="cas@example.org")
    other_team = TeamFactory()
    TeamInvitationFactory(team=other_team, email=EMAIL)
    assert ImportBatch.objects.filter(feed=feed).exclude(file_name="").exists()
    client = APIClient()
    client.force_authenticate(user=sanne)

    # when
    response = _delete(client, capture=django_capture_on_commit_callbacks)

    # then
    assert response.status_code == 204
    user = User.objects.get(pk=sanne.pk)
    assert user.email.startswith("deleted-") and user.email.endswith(".invalid")
    assert (user.first_name, user.last_name, user.last_login) == ("", "", None)
    assert not user.is_active and not user.has_usable_password()
    assert user_is_erased(user)
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.city) == ("", "")
    feed.refresh_from_db()
    assert feed.status == "revoked"
    assert feed.account_ref == f"erased-{feed.pk}" and feed.display_name == ""
    assert not Consent.objects.filter(feed=feed, revoked_at__isnull=True).exists()
    transactions = Transaction.objects.filter(user=user)
    assert transactions.exists()
    assert not transactions.filter(redacted_at__isnull=True).exists()
    assert set(transactions.values_list("merchant_name", "description", "mcc")) == {("", "", "")}
    assert not transactions.filter(raw__isnull=False).exists()
    assert not ImportBatch.objects.filter(feed=feed).exclude(file_name="").exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not OutboundMessage.objects.filter(user=user).exists()
    assert not PushDevice.objects.filter(user=user).exists()  # never pushed to again
    assert not TeamInvitation.objects.filter(status="pending").filter(team=team).exists()
    to_her = TeamInvitation.objects.get(team=other_team)
    assert to_her.status == "revoked" and to_her.email == "" and to_her.invited_user_id == user.pk
    assert not TeamInvitation.objects.filter(email=EMAIL).exists()
    assert TeamMembership.objects.get(team=team, user=user).status == "left"
    # Nothing anywhere still holds her address or names.
    assert not User.objects.filter(email__iexact=EMAIL).exists()
    assert not Profile.objects.filter(display_name="Sanne").exists()


def test_what_must_stay_stays_and_the_ledger_still_adds_up(
    sanne, django_capture_on_commit_callbacks
):
    # given
    _, planted, growing = _with_history(sanne)
    entries = EnergyLedgerEntry.objects.count()
    sums = _ledger_sums()
    balances = dict(EnergyBalance.objects.filter(user=sanne).values_list("account", "grams"))
    actions = GreenAction.objects.filter(user=sanne).count()
    assert actions and balances
    client = APIClient()
    client.force_authenticate(user=sanne)

    # when
    assert _delete(client, capture=django_capture_on_commit_callbacks).status_code == 204

    # then
    assert EnergyLedgerEntry.objects.count() == entries
    assert _ledger_sums() == sums
    assert dict(EnergyBalance.objects.filter(user=sanne).values_list("account", "grams")) == (
        balances
    )
    assert GreenAction.objects.filter(user=sanne).count() == actions
    assert_ledger_consistent()
    assert Tree.objects.get(pk=planted.pk).status == "planted"
    assert PlantingOrder.objects.filter(tree=planted).exclude(state="cancelled").exists()
    assert Certificate.objects.filter(tree=planted).exists()
    # A growing tree stays where it was, frozen: no feed can bring new energy.
    growing.refresh_from_db()
    assert (growing.status, growing.energy_grams) == ("growing", 300)
    assert not LinkedFeed.objects.filter(user=sanne).exclude(status="revoked").exists()


def test_deleting_removes_plaid_items_at_plaid(
    sanne, mocker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    recorded = use_plaid_http(mocker, monkeypatch, settings, {"/item/remove": "item_remove.json"})
    feed = LinkedFeedFactory(user=sanne, provider="plaid", account_ref="acc-ing-1")
    import_fixture(feed, "week1.csv")
    item = PlaidItemFactory(feed=feed, adapter="plaid", access_token=TOKEN, item_id=ITEM_ID)
    client = APIClient()
    client.force_authenticate(user=sanne)

    assert _delete(client, capture=django_capture_on_commit_callbacks).status_code == 204

    assert recorded.paths() == ["/item/remove"]
    assert recorded.requests[0][1]["access_token"] == TOKEN
    item = PlaidItem.objects.get(pk=item.pk)
    assert item.removal_requested_at is not None and item.removed_at is not None
    assert (item.access_token_ciphertext, item.item_id_ciphertext) == ("", "")
    assert not Transaction.objects.filter(feed=feed, redacted_at__isnull=True).exists()


def test_afterwards_no_token_works_and_the_address_is_free_again(sanne):
    # given: logged in twice (two devices)
    first, second = _login().json(), _login().json()
    client = _bearer(first["access"])
    assert client.get("/api/v1/me").status_code == 200

    # when
    assert _delete(client).status_code == 204

    # then
    outstanding = OutstandingToken.objects.filter(user=sanne)
    assert outstanding.count() == 2
    assert BlacklistedToken.objects.filter(token__in=outstanding).count() == 2
    for tokens in (first, second):
        assert _bearer(tokens["access"]).get("/api/v1/me").status_code == 401
        refreshed = APIClient().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
        assert refreshed.status_code == 401
    assert _login().status_code == 401
    registered = APIClient().post(
        "/api/v1/auth/register", {"email": EMAIL, "password": "nieuw-begin-2026-!"}
    )
    assert registered.status_code == 202
    assert User.objects.filter(email=EMAIL).exclude(pk=sanne.pk).exists()


def test_a_deleted_members_certificate_names_nobody(sanne, client):
    tree = _planted_tree(sanne)
    number = tree.certificate.number
    assert "Sanne" in client.get(f"/certificates/{number}").content.decode()

    user_erase(user=sanne, reason="test")

    html = client.get(f"/certificates/{number}").content.decode()
    assert "A Canopy member" in html
    for personal in ("Sanne", "de Vries", EMAIL, "Utrecht"):
        assert personal not in html
    certificate = Certificate.objects.select_related(
        "tree__owner__profile", "tree__species", "tree__forest__sponsor"
    ).get(number=number)
    png = certificate_png(certificate, verification_url=f"https://canopy.example/c/{number}")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"


def test_a_team_tree_names_a_deleted_member_anonymously(sanne):
    from forest.selectors.certificates import holder_names

    bram = UserFactory(first_name="Bram")
    Profile.objects.filter(user=bram).update(display_name="Bram")
    team = TeamFactory(created_by=sanne, members=[bram])
    tree = TreeFactory(owner=sanne, team=team)

    user_erase(user=sanne, reason="test")

    assert holder_names(tree) == ["Bram"]  # she left the team and had grown nothing
    assert TeamMembership.objects.get(team=team, user=bram).status == "active"


def test_erasing_ends_friendships_and_open_friend_invites(sanne):
    from accounts.models import FriendInvite, Friendship
    from tests.accounts.friend_factories import befriend

    friend = UserFactory()
    befriend(sanne, friend)
    FriendInvite.objects.create(
        inviter=sanne, code_hash="0" * 64, expires_at=timezone.now() + timedelta(days=7)
    )

    assert user_erase(user=sanne, reason="test").friendships_ended == 1

    assert not Friendship.objects.exists()
    assert not FriendInvite.objects.filter(inviter=sanne).exists()


def test_erasing_twice_is_harmless(sanne):
    _with_history(sanne)
    user_erase(user=sanne, reason="test")
    email = User.objects.get(pk=sanne.pk).email

    result = user_erase(user=User.objects.get(pk=sanne.pk), reason="test")

    assert result.transactions_erased == 0 and result.notifications_deleted == 0
    assert User.objects.get(pk=sanne.pk).email != email  # a fresh placeholder, still erased
    assert_ledger_consistent()


def test_the_audit_log_line_names_no_address(sanne, caplog):
    _with_history(sanne)
    client = APIClient()
    client.force_authenticate(user=sanne)
    with caplog.at_level("INFO", logger="privacy.erasure"):
        assert _delete(client).status_code == 204
    [record] = [r for r in caplog.records if r.name == "privacy.erasure"]
    message = record.getMessage()
    assert f"'user_id': {sanne.pk}" in message and "'feeds_revoked': 1" in message
    assert EMAIL not in message and "Sanne" not in message


# ---------------------------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def operator_client(db):
    operator = User.objects.create_superuser(email="ops@canopy.local", password="x")
    client = Client()  # form posts, as a browser sends them
    client.force_login(operator)
    return client


def test_the_admin_erases_instead_of_deleting(sanne, operator_client):
    _with_history(sanne)
    entries = EnergyLedgerEntry.objects.count()
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(  # an operator changed her earlier: the history shows her address
        user=User.objects.get(email="ops@canopy.local"),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(sanne.pk),
        object_repr=str(sanne),
        action_flag=CHANGE,
        change_message="[]",
    )
    assert LogEntry.objects.filter(object_repr=EMAIL).exists()

    # Deleting a user with a ledger is refused, never attempted.
    assert operator_client.get(f"/admin/accounts/user/{sanne.pk}/delete/").status_code == 403
    changelist = operator_client.get("/admin/accounts/user/").content.decode()
    assert "delete_selected" not in changelist
    assert "erase_personal_data" in changelist

    response = operator_client.post(
        "/admin/accounts/user/",
        {"action": "erase_personal_data", "_selected_action": [sanne.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "erased" in response.content.decode()
    user = User.objects.get(pk=sanne.pk)
    assert user_is_erased(user) and not user.is_active
    assert EnergyLedgerEntry.objects.count() == entries
    # The admin's own history of the user no longer shows the address.
    assert not LogEntry.objects.filter(object_repr__icontains=EMAIL).exists()
    assert_ledger_consistent()


def test_the_admin_can_still_delete_a_user_without_history(operator_client):
    stray = UserFactory()
    response = operator_client.post(
        f"/admin/accounts/user/{stray.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not User.objects.filter(pk=stray.pk).exists()


def test_the_anonymous_holder_is_named_in_dutch_too(sanne, client):
    tree = _planted_tree(sanne)
    user_erase(user=sanne, reason="test")

    response = client.get(f"/certificates/{tree.certificate.number}", HTTP_ACCEPT_LANGUAGE="nl")

    assert "Een Canopy-lid" in response.content.decode()
