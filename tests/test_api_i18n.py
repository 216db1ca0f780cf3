"""The API and the admin answer in the request's language: Dutch for ``Accept-Language: nl``,
English otherwise. Machine-readable ``code`` fields stay English in both."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.services.feeds import feed_revoke
from forest.models import EnergyDrop
from forest.models.trees import Team, TeamMembership
from forest.services.energy import ledger_audit
from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    LinkedFeedFactory,
    TransactionFactory,
    UserFactory,
)
from tests.forest.helpers import score_all
from tests.forest.tree_factories import (
    SpeciesFactory,
    TeamFactory,
    TeamInvitationFactory,
    TreeFactory,
    give_energy,
)
from tests.partners.test_partner_api import funded_order, partner_client, planted_form

pytestmark = pytest.mark.django_db

NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}


@pytest.fixture(autouse=True)
def _back_to_default_language():
    yield
    translation.deactivate()  # the middleware leaves the last request's language active


@pytest.fixture
def expired_drop(user) -> EnergyDrop:
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()
    return EnergyDrop.objects.get(user=user, action_type="rail")


def test_the_registration_answer_is_dutch_for_a_dutch_client(api_client):
    UserFactory(email="sanne@example.nl")
    payload = {"email": "sanne@example.nl", "password": "groene-trein-2026"}

    dutch = api_client.post("/api/v1/auth/register", payload, format="json", **NL)
    english = api_client.post("/api/v1/auth/register", payload, format="json")

    assert dutch.status_code == english.status_code == 202
    assert english.json()["detail"].startswith("Check your e-mail")
    # The Dutch text comes with the catalogue (notes/nl/security.po, merged by the lead).
    assert dutch.json()["code"] == english.json()["code"] == "verification_sent"
    assert "Accept-Language" in dutch["Vary"]


def test_drf_and_django_validation_messages_follow_the_language(api_client):
    payload = {"email": "not-an-address", "time_zone": "Mars/Olympus"}

    dutch = api_client.post("/api/v1/auth/register", payload, format="json", **NL).json()
    english = api_client.post("/api/v1/auth/register", payload, format="json").json()

    assert dutch["password"] == ["Dit veld is vereist."]
    assert dutch["email"] == ["Voer een geldig e-mailadres in."]
    assert dutch["time_zone"] == ["Onbekende tijdzone: Mars/Olympus"]
    assert english["password"] == ["This field is required."]
    assert english["email"] == ["Enter a valid email address."]
    assert english["time_zone"] == ["Unknown time zone: Mars/Olympus"]


def test_linking_a_feed_without_consent_explains_in_dutch(user_client):
    payload = {"provider": "sandbox"}

    dutch = user_client.post("/api/v1/feeds", payload, format="json", **NL).json()
    english = user_client.post("/api/v1/feeds", payload, format="json").json()

    assert dutch["code"] == english["code"] == "consent_required"
    assert dutch["detail"].startswith(
        "Voor het koppelen van een rekening is je uitdrukkelijke toestemming nodig"
    )
    assert english["detail"].startswith("Linking a feed needs your explicit consent")
    assert dutch["errors"]["consent"] == ["Dit veld is vereist."]


def test_someone_elses_feed_is_not_found_in_dutch(user_client):
    other = LinkedFeedFactory()

    dutch = user_client.get(f"/api/v1/feeds/{other.pk}", **NL)
    english = user_client.get(f"/api/v1/feeds/{other.pk}")

    assert dutch.status_code == english.status_code == 404
    assert dutch.json() == {"detail": "Niet gevonden.", "code": "not_found"}
    assert english.json() == {"detail": "Not found.", "code": "not_found"}


def test_someone_elses_drop_is_not_found_in_dutch(api_client, expired_drop):
    api_client.force_authenticate(UserFactory())
    url = f"/api/v1/drops/{expired_drop.pk}/collect"

    dutch = api_client.post(url, **NL)
    english = api_client.post(url)

    assert dutch.status_code == english.status_code == 404
    assert dutch.json() == {"detail": "Deze druppel bestaat niet.", "code": "not_found"}
    assert english.json() == {"detail": "No such drop.", "code": "not_found"}


def test_collecting_an_expired_drop_is_a_dutch_409(user_client, expired_drop):
    url = f"/api/v1/drops/{expired_drop.pk}/collect"

    with time_machine.travel(expired_drop.expires_at + timedelta(minutes=1)):
        dutch = user_client.post(url, **NL)
        english = user_client.post(url)

    assert dutch.status_code == english.status_code == 409
    assert dutch.json() == {"detail": "Deze druppel is verlopen.", "code": "expired"}
    assert english.json() == {"detail": "This drop has expired.", "code": "expired"}


def test_a_failed_log_in_is_dutch_too(api_client):
    """simplejwt ships no "nl" catalogue of its own; Canopy's carries its messages."""
    user = UserFactory()
    payload = {"email": user.email, "password": DEFAULT_PASSWORD + "-wrong"}

    dutch = api_client.post("/api/v1/auth/token", payload, format="json", **NL).json()
    english = api_client.post("/api/v1/auth/token", payload, format="json").json()

    assert dutch["detail"] == "Geen actief account gevonden met deze gegevens"
    assert english["detail"] == "No active account found with the given credentials"
    assert dutch["code"] == english["code"] == "authentication_failed"


def test_unauthenticated_and_unknown_routes_answer_in_dutch(api_client):
    unauthenticated = api_client.get("/api/v1/me", **NL).json()
    unknown = api_client.get("/api/v1/no-such-thing", **NL).json()

    assert unauthenticated["detail"] == "Authenticatiegegevens zijn niet opgegeven."
    assert unauthenticated["code"] == "not_authenticated"
    assert unknown == {"detail": "Niet gevonden.", "code": "not_found"}
    assert api_client.get("/api/v1/no-such-thing").json()["detail"] == "Not found."


def test_the_partner_api_refuses_a_bad_key_in_dutch(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer cnp_nope_nope")

    dutch = api_client.get("/api/v1/partner/orders", **NL).json()
    english = api_client.get("/api/v1/partner/orders").json()

    assert dutch["detail"] == "Ongeldige of ingetrokken API-sleutel."
    assert english["detail"] == "Invalid or revoked API key."


def test_an_admin_page_and_its_action_message_are_dutch(client, mocker):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    feed = LinkedFeedFactory(provider="sandbox")
    mocker.patch("accounts.tasks.feed_sync_task.delay")

    dutch = client.get("/admin/accounts/linkedfeed/", **NL).content.decode()
    english = client.get("/admin/accounts/linkedfeed/").content.decode()
    done = client.post(
        "/admin/accounts/linkedfeed/",
        {"action": "sync_again", "_selected_action": [feed.pk]},
        follow=True,
        **NL,
    ).content.decode()

    assert "Geselecteerde rekeningkoppelingen opnieuw synchroniseren (sandbox en Plaid)" in dutch
    assert "Toestemming verlopen" in dutch  # a status choice, in the list filter
    assert "Sync the selected feeds again (sandbox and Plaid)" in english
    assert "Consent expired" in english
    assert "1 synchronisatie(s) van rekeningkoppelingen ingepland." in done


def test_uploading_into_a_revoked_feed_is_a_dutch_409(user_client, user):
    feed = LinkedFeedFactory(user=user, provider="file")
    feed_revoke(feed=feed)
    url = f"/api/v1/feeds/{feed.pk}/uploads"

    def upload(**extra):
        csv = SimpleUploadedFile("t.csv", b"transaction_id,amount\n", content_type="text/csv")
        return user_client.post(url, {"file": csv}, format="multipart", **extra)

    dutch, english = upload(**NL), upload()

    assert dutch.status_code == english.status_code == 409
    assert dutch.json() == {
        "detail": "Deze rekeningkoppeling is ingetrokken; er wordt niets meer in geïmporteerd.",
        "code": "feed_revoked",
    }
    assert english.json()["detail"] == "This feed was revoked; nothing is imported into it."


# --- trees and co-planting teams -------------------------------------------------------------


def test_an_unknown_invitation_token_is_not_found_in_dutch(user_client):
    payload = {"token": "no-such-token-0123456789"}
    url = "/api/v1/teams/invitations/accept"

    dutch = user_client.post(url, payload, format="json", **NL)
    english = user_client.post(url, payload, format="json")

    assert dutch.status_code == english.status_code == 404
    assert dutch.json() == {"detail": "Deze uitnodiging bestaat niet.", "code": "not_found"}
    assert english.json() == {"detail": "No such invitation.", "code": "not_found"}


def test_accepting_into_a_full_team_is_a_dutch_409(user_client, user):
    team = TeamFactory(members=UserFactory.create_batch(Team.MAX_MEMBERS - 1))
    invitation = TeamInvitationFactory(team=team, email=user.email)
    payload = {"token": invitation.token}
    url = "/api/v1/teams/invitations/accept"

    dutch = user_client.post(url, payload, format="json", **NL)
    english = user_client.post(url, payload, format="json")

    assert dutch.status_code == english.status_code == 409
    assert dutch.json() == {"detail": "Het team is vol.", "code": "team_full"}
    assert english.json() == {"detail": "The team is full.", "code": "team_full"}
    assert not TeamMembership.objects.filter(team=team, user=user).exists()


def test_an_invitation_for_another_address_names_it_masked_in_dutch(user_client):
    invitation = TeamInvitationFactory(email="bram.devries@example.nl")
    payload = {"token": invitation.token}
    url = "/api/v1/teams/invitations/accept"

    dutch = user_client.post(url, payload, format="json", **NL).json()
    english = user_client.post(url, payload, format="json").json()

    assert dutch == {
        "detail": "Deze uitnodiging is verstuurd naar b***@e***.nl; log in met dat adres om "
        "haar te accepteren.",
        "code": "email_mismatch",
    }
    assert english["detail"] == (
        "This invitation was sent to b***@e***.nl; sign in with that address to accept it."
    )


def test_a_team_without_invitees_is_refused_in_dutch(user_client):
    payload = {"name": "Buren", "invite_emails": []}

    dutch = user_client.post("/api/v1/teams", payload, format="json", **NL).json()
    english = user_client.post("/api/v1/teams", payload, format="json").json()

    assert dutch == {"detail": "Nodig minstens één vriend uit.", "code": "too_few_members"}
    assert english == {"detail": "Invite at least one friend.", "code": "too_few_members"}
    assert not Team.objects.exists()


def test_growing_a_tree_without_collected_energy_explains_in_dutch(user_client, user):
    tree = TreeFactory(owner=user)
    url = f"/api/v1/trees/{tree.pk}/grow"

    dutch = user_client.post(url, {}, format="json", **NL)
    english = user_client.post(url, {}, format="json")

    assert dutch.status_code == english.status_code == 409
    assert dutch.json() == {
        "detail": "Je hebt geen verzamelde energie om mee te laten groeien.",
        "code": "no_energy",
    }
    assert english.json()["detail"] == "You have no collected energy to grow with."
    tree.refresh_from_db()
    assert tree.energy_grams == 0


def test_growing_reports_the_grams_in_dutch(user_client, user):
    tree = TreeFactory(owner=user)
    give_energy(user, 50)
    url = f"/api/v1/trees/{tree.pk}/grow"

    dutch = user_client.post(url, {"grams": 20}, format="json", **NL).json()
    english = user_client.post(url, {"grams": 20}, format="json").json()

    assert dutch["message"] == "20 g in je boom gegroeid."
    assert english["message"] == "20 g grown into your tree."
    assert dutch["balance_grams"] == 30 and english["balance_grams"] == 10


def test_starting_a_tree_in_an_unknown_forest_is_dutch(user_client):
    species = SpeciesFactory()
    payload = {"species": species.pk, "forest": 999_999}

    dutch = user_client.post("/api/v1/trees", payload, format="json", **NL).json()
    english = user_client.post("/api/v1/trees", payload, format="json").json()

    assert dutch == {"detail": "Dit bos bestaat niet.", "code": "forest_not_found"}
    assert english == {"detail": "No such forest.", "code": "forest_not_found"}


# --- planting partners and the forest admin --------------------------------------------------


def test_a_planting_partner_is_refused_a_position_outside_the_forest_in_dutch():
    order = funded_order()
    client = partner_client(order.partner)
    url = f"/api/v1/partner/orders/{order.pk}/planted"
    outside = {"lat": 52.37, "lon": 4.89}  # central Amsterdam

    dutch = client.post(url, planted_form(**outside), format="multipart", **NL).json()
    english = client.post(url, planted_form(**outside), format="multipart").json()

    forest = order.forest.name
    assert dutch == {
        "detail": f"De positie 52.37000, 4.89000 ligt buiten {forest}.",
        "code": "outside_forest",
    }
    assert english["detail"] == f"The position 52.37000, 4.89000 is outside {forest}."
    order.refresh_from_db()
    assert order.state == "funded"


def test_the_forest_admin_labels_actions_and_messages_are_dutch(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    audit = ledger_audit()
    TreeFactory()

    dutch = client.get("/admin/forest/ledgeraudit/", **NL).content.decode()
    english = client.get("/admin/forest/ledgeraudit/").content.decode()
    trees = client.get("/admin/forest/tree/", **NL).content.decode()
    done = client.post(
        "/admin/forest/ledgeraudit/",
        {"action": "run_audit", "_selected_action": [audit.pk]},
        follow=True,
        **NL,
    ).content.decode()

    assert "Grootboekcontrole nu uitvoeren" in dutch
    assert "Saldi gecontroleerd" in dutch  # a field's label, as a column header
    assert "Run the ledger audit now" in english
    assert "Balances checked" in english
    assert "Eigenaar" in trees and "Volgroeid op" in trees
    assert "0 saldi wijken af van het grootboek." in done
