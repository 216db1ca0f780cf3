"""Team invitations: by e-mail with or without an account, by user, accepted with a token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Notification
from forest.models.trees import Team, TeamInvitation, TeamMembership
from forest.services.team_invitations import mask_email, team_invite
from forest.services.teams import team_create
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.forest.tree_factories import (
    BrandForestFactory,
    SpeciesFactory,
    TeamFactory,
    TeamInvitationFactory,
    TreeFactory,
)

pytestmark = pytest.mark.django_db

TOKEN_IN_LINK = re.compile(r"/teams/join#token=([\w-]+)")


def named(name: str, locale: str = "en", **kwargs):
    user = UserFactory(**kwargs)
    user.profile.display_name = name
    user.profile.locale = locale
    user.profile.save(update_fields=["display_name", "locale"])
    return user


def token_from(message) -> str:
    return TOKEN_IN_LINK.search(message.body).group(1)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a request and the e-mails it sends once committed."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def test_the_answer_is_the_same_whether_or_not_an_address_has_an_account(send):
    anna = named("Anna", email="anna@example.nl")
    bram = named("Bram", email="bram@example.nl")
    team = TeamFactory(created_by=anna)
    client = api_client_for(anna)

    known = send(
        client.post,
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": ["Bram@Example.nl "]},
        format="json",
    )
    unknown = send(
        client.post,
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": ["cas@example.com"]},
        format="json",
    )

    assert known.status_code == unknown.status_code == 201
    [a], [b] = known.data, unknown.data
    assert a.keys() == b.keys()
    assert (a["email"], a["name"], a["status"]) == ("bram@example.nl", None, "pending")
    assert (b["email"], b["name"], b["status"]) == ("cas@example.com", None, "pending")
    varying = {"id", "email", "created_at", "expires_at"}
    assert {k: v for k, v in a.items() if k not in varying} == {
        k: v for k, v in b.items() if k not in varying
    }
    listed = client.get(f"/api/v1/teams/{team.id}/invitations").data
    assert [(i["email"], i["name"], i["status"]) for i in listed] == [
        ("cas@example.com", None, "pending"),
        ("bram@example.nl", None, "pending"),
    ]
    detail = client.get(f"/api/v1/teams/{team.id}").data
    assert detail["members"] == [{"name": "Anna", "status": "active", "you": True}]
    assert detail["open_invitations"] == 2
    # delivery differs: Bram gets his inbox and an e-mail, the new address a link with a token
    # No user text in a subject: the inviter's name and the team's are in the body only.
    subject = "You are invited to grow a tree together on Canopy"
    assert Notification.objects.get(user=bram).title == subject
    to_bram, to_cas = mail.outbox
    assert to_bram.to == ["bram@example.nl"] and "#token=" not in to_bram.body
    assert "Open the Canopy app" in to_bram.body
    assert to_cas.to == ["cas@example.com"]
    assert to_cas.subject == subject
    assert 'co-planting team "' + team.name + '"' in to_cas.body
    assert f"{settings.SITE_URL}/teams/join#token=" in to_cas.body
    token = token_from(to_cas)
    assert len(token) >= 40
    stored = TeamInvitation.objects.get(email="cas@example.com")
    assert stored.token_hash == TeamInvitation.hash_token(token)
    assert not TeamInvitation.objects.filter(token_hash=token).exists()
    assert TeamMembership.objects.get(user=bram).status == "invited"


def test_someone_who_signs_up_later_joins_with_the_token_once(send):
    anna = named("Anna")
    team = TeamFactory(created_by=anna)
    send(team_invite, inviter_id=anna.id, team_id=team.id, emails=["dirk@example.org"])
    token = token_from(mail.outbox[0])
    dirk = named("Dirk", email="dirk@example.org")  # registered after the e-mail arrived

    joined = api_client_for(dirk).post(
        "/api/v1/teams/invitations/accept", {"token": token}, format="json"
    )
    again = api_client_for(dirk).post(
        "/api/v1/teams/invitations/accept", {"token": token}, format="json"
    )

    assert joined.status_code == 200, joined.data
    assert joined.data["id"] == team.id and joined.data["your_status"] == "active"
    assert [m["name"] for m in joined.data["members"]] == ["Anna", "Dirk"]
    assert again.status_code == 409 and again.data["code"] == "invitation_used"
    invitation = TeamInvitation.objects.get(team=team)
    assert (invitation.status, invitation.accepted_by) == ("accepted", dirk)
    assert TeamMembership.objects.get(team=team, user=dirk).status == "active"
    listed = api_client_for(anna).get(f"/api/v1/teams/{team.id}/invitations").data
    assert [i["status"] for i in listed] == ["accepted"]


def test_a_token_works_only_for_the_invited_address():
    invitation = TeamInvitationFactory(email="dirk@example.org")
    eve = UserFactory(email="eve@example.org")

    response = api_client_for(eve).post(
        "/api/v1/teams/invitations/accept", {"token": invitation.token}, format="json"
    )

    assert response.status_code == 403
    assert response.data["code"] == "email_mismatch"
    assert "d***@e***.org" in response.data["detail"]
    assert not TeamMembership.objects.filter(user=eve).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_an_unknown_expired_or_revoked_token_is_refused_clearly():
    dirk = UserFactory(email="dirk@example.org")
    expired = TeamInvitationFactory(
        email=dirk.email, expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked = TeamInvitationFactory(email=dirk.email, status="revoked")
    client = api_client_for(dirk)

    def accept(token):
        return client.post("/api/v1/teams/invitations/accept", {"token": token}, format="json")

    unknown = accept("not-a-token")
    late = accept(expired.token)
    withdrawn = accept(revoked.token)

    assert unknown.status_code == 404
    assert late.status_code == 410 and late.data["code"] == "invitation_expired"
    assert withdrawn.status_code == 410 and withdrawn.data["code"] == "invitation_revoked"
    expired.refresh_from_db()
    assert expired.status == "expired"  # marked lazily, and kept although the answer is 410
    assert not TeamMembership.objects.filter(user=dirk).exists()


def test_ten_seats_count_members_and_open_invitations(send):
    anna = UserFactory()
    team = TeamFactory(created_by=anna, members=UserFactory.create_batch(7))  # 8 active
    TeamInvitationFactory(team=team)  # 9 seats taken
    TeamInvitationFactory(team=team, expires_at=timezone.now() - timedelta(days=1))  # frees one
    client = api_client_for(anna)

    two = client.post(
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": ["x@example.org", "y@example.org"]},
        format="json",
    )
    one = send(
        client.post,
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": ["x@example.org"]},
        format="json",
    )
    more = client.post(
        f"/api/v1/teams/{team.id}/invitations", {"emails": ["z@example.org"]}, format="json"
    )

    assert two.status_code == 409 and two.data["code"] == "too_many_members"
    assert one.status_code == 201
    assert more.status_code == 409
    assert TeamInvitation.objects.filter(team=team, status="pending").count() == 2
    assert len(mail.outbox) == 1


def test_inviting_an_address_again_sends_nothing_new(send):
    anna = UserFactory()
    team = TeamFactory(created_by=anna)
    client = api_client_for(anna)
    url = f"/api/v1/teams/{team.id}/invitations"

    first = send(client.post, url, {"emails": ["x@example.org"]}, format="json")
    second = send(client.post, url, {"emails": ["X@example.org"]}, format="json")

    assert first.data[0]["id"] == second.data[0]["id"]
    assert TeamInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_team_whose_tree_is_fully_grown_takes_no_new_members():
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna, members=[bram])
    forest = BrandForestFactory(species=[SpeciesFactory()])
    pending = TeamInvitationFactory(team=team, email="dirk@example.org")
    TreeFactory(owner=anna, team=team, forest=forest, status="matured", matured_at=timezone.now())
    dirk = UserFactory(email="dirk@example.org")

    invite = api_client_for(bram).post(
        f"/api/v1/teams/{team.id}/invitations", {"emails": ["e@example.org"]}, format="json"
    )
    accept = api_client_for(dirk).post(
        "/api/v1/teams/invitations/accept", {"token": pending.token}, format="json"
    )

    assert invite.status_code == 409 and invite.data["code"] == "team_closed"
    assert accept.status_code == 409 and accept.data["code"] == "team_closed"
    assert TeamInvitation.objects.filter(team=team).count() == 1


def test_members_see_others_invitees_masked_and_outsiders_see_nothing(send):
    anna, bram = named("Anna"), named("Bram")
    team = TeamFactory(created_by=anna, members=[bram])
    send(team_invite, inviter_id=anna.id, team_id=team.id, emails=["cas.jansen@example.com"])
    invitee = UserFactory()
    send(team_invite, inviter_id=anna.id, team_id=team.id, user_ids=[invitee.id])
    eve = UserFactory()
    invitation = TeamInvitation.objects.filter(team=team).first()

    as_bram = api_client_for(bram).get(f"/api/v1/teams/{team.id}/invitations")
    as_anna = api_client_for(anna).get(f"/api/v1/teams/{team.id}/invitations")
    outsider = api_client_for(eve)
    invited = api_client_for(invitee)

    assert [i["email"] for i in as_bram.data] == [None, "c***@e***.com"]
    assert [i["email"] for i in as_anna.data] == [None, "cas.jansen@example.com"]
    assert as_bram.data[0]["name"] == invitee.profile.display_name
    assert [i["invited_by"] for i in as_bram.data] == ["Anna", "Anna"]
    assert [i["you_invited"] for i in as_bram.data] == [False, False]
    for response in (
        outsider.get(f"/api/v1/teams/{team.id}/invitations"),
        outsider.post(
            f"/api/v1/teams/{team.id}/invitations", {"emails": ["x@example.org"]}, format="json"
        ),
        outsider.post(f"/api/v1/teams/{team.id}/invitations/{invitation.id}/revoke"),
        invited.get(f"/api/v1/teams/{team.id}/invitations"),  # invited, not a member yet
    ):
        assert response.status_code == 404
        assert response.data["code"] == "not_found"
    assert TeamInvitation.objects.filter(team=team).count() == 2


def test_only_the_inviter_revokes_and_a_revoked_invitee_cannot_accept(send):
    anna, bram = UserFactory(), UserFactory()
    cas = UserFactory(email="cas@example.org")
    team = TeamFactory(created_by=anna, members=[bram])
    [invitation] = send(team_invite, inviter_id=anna.id, team_id=team.id, emails=[cas.email])
    url = f"/api/v1/teams/{team.id}/invitations/{invitation.id}/revoke"

    by_bram = api_client_for(bram).post(url)
    by_anna = api_client_for(anna).post(url)
    twice = api_client_for(anna).post(url)
    accept = api_client_for(cas).post(f"/api/v1/teams/{team.id}/accept")

    assert by_bram.status_code == 403 and by_bram.data["code"] == "not_inviter"
    assert by_anna.status_code == 200 and by_anna.data["status"] == "revoked"
    assert twice.status_code == 409 and twice.data["code"] == "not_pending"
    assert accept.status_code == 410 and accept.data["code"] == "invitation_revoked"
    assert TeamMembership.objects.get(team=team, user=cas).status == "expired"
    assert api_client_for(cas).get("/api/v1/teams").data == []
    other_team = TeamFactory(created_by=anna)
    assert (
        api_client_for(anna)
        .post(f"/api/v1/teams/{other_team.id}/invitations/{invitation.id}/revoke")
        .status_code
        == 404
    )


def test_an_existing_user_accepts_or_declines_in_the_app(send):
    anna = UserFactory()
    bram, cas = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna)
    send(team_invite, inviter_id=anna.id, team_id=team.id, emails=[bram.email, cas.email])

    accepted = api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")
    declined = api_client_for(cas).post(f"/api/v1/teams/{team.id}/decline")

    assert accepted.status_code == 200
    assert declined.status_code == 204
    statuses = dict(TeamInvitation.objects.filter(team=team).values_list("email", "status"))
    assert statuses == {bram.email: "accepted", cas.email: "declined"}
    assert TeamMembership.objects.get(team=team, user=bram).status == "active"
    assert TeamMembership.objects.get(team=team, user=cas).status == "declined"


def test_an_expired_invitation_answers_410_in_the_app_and_frees_its_seat(send):
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna)
    [invitation] = send(team_invite, inviter_id=anna.id, team_id=team.id, user_ids=[bram.id])
    TeamInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")

    assert response.status_code == 410 and response.data["code"] == "invitation_expired"
    invitation.refresh_from_db()
    assert invitation.status == "expired"
    assert TeamMembership.objects.get(team=team, user=bram).status == "expired"
    # and he can be invited again
    send(team_invite, inviter_id=anna.id, team_id=team.id, user_ids=[bram.id])
    assert api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept").status_code == 200


def test_a_member_who_left_can_be_invited_back():
    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")
    api_client_for(bram).post(f"/api/v1/teams/{team.id}/leave")

    again = api_client_for(anna).post(
        f"/api/v1/teams/{team.id}/invitations", {"emails": [bram.email]}, format="json"
    )
    back = api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")

    assert again.status_code == 201
    assert back.status_code == 200
    assert TeamMembership.objects.get(team=team, user=bram).status == "active"


def test_inviting_by_user_id_refuses_unknown_ids_and_members():
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna, members=[bram])
    client = api_client_for(anna)
    url = f"/api/v1/teams/{team.id}/invitations"

    unknown = client.post(url, {"user_ids": [999_999]}, format="json")
    member = client.post(url, {"user_ids": [bram.id]}, format="json")
    nobody = client.post(url, {"emails": [anna.email]}, format="json")  # yourself: left out

    assert unknown.status_code == 400 and unknown.data["code"] == "unknown_invitee"
    assert member.status_code == 400 and member.data["code"] == "already_member"
    assert nobody.status_code == 400 and nobody.data["code"] == "no_invitees"
    assert not TeamInvitation.objects.exists()


def test_creating_a_team_invites_addresses_without_an_account(send):
    anna = named("Anna")
    response = send(
        api_client_for(anna).post,
        "/api/v1/teams",
        {"name": "Buren", "invite_emails": ["new@example.org"]},
        format="json",
    )

    assert response.status_code == 201
    assert response.data["open_invitations"] == 1
    team = Team.objects.get()
    assert TeamInvitation.objects.get().team == team
    assert mail.outbox[0].to == ["new@example.org"]
    assert TeamMembership.objects.filter(team=team).count() == 1


def test_inviting_is_throttled_per_user():
    anna = UserFactory()
    team = TeamFactory(created_by=anna)
    client = api_client_for(anna)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "team_invite": "2/hour"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        codes = [
            client.post(
                f"/api/v1/teams/{team.id}/invitations", {"emails": [f"{n}@example.org"]}
            ).status_code
            for n in range(3)
        ]
        listing = client.get(f"/api/v1/teams/{team.id}/invitations")
    assert codes == [201, 201, 429]
    assert listing.status_code == 200  # reading is not throttled as inviting


def test_messages_are_in_the_invitees_language_or_else_the_inviters(send):
    anna = named("Anna", locale="nl")
    bram = named("Bram", locale="en")
    team = TeamFactory(created_by=anna)
    send(team_invite, inviter_id=anna.id, team_id=team.id, emails=[bram.email, "new@example.org"])

    opening = (
        '%(inviter)s invites you to the co-planting team "%(team)s": friends grow one tree '
        "together, each with their own energy, and when it is fully grown it is planted for real."
    )
    names = {"inviter": "Anna", "team": team.name}
    with translation.override("nl"):
        dutch = gettext(opening) % names
    to_bram, to_new = mail.outbox
    assert to_bram.body.startswith(opening % names)  # Bram reads English
    assert to_new.body.startswith(dutch)  # an address without an account: Anna's language
    assert dutch != opening % names


def test_the_e_mail_mask_keeps_a_hint_only():
    assert mask_email("bram.devries@example.nl") == "b***@e***.nl"
    assert mask_email("x@localhost") == "x***@l***"


def test_the_admin_lists_invitations(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    invitation = TeamInvitationFactory(email="find.me@example.org")

    listing = client.get("/admin/forest/teaminvitation/?status__exact=pending&q=find.me")
    detail = client.get(f"/admin/forest/teaminvitation/{invitation.id}/change/")
    team_page = client.get(f"/admin/forest/team/{invitation.team_id}/change/")

    assert listing.status_code == 200 and "find.me@example.org" in listing.content.decode()
    assert detail.status_code == 200
    assert invitation.token_hash in detail.content.decode()
    assert invitation.token not in detail.content.decode()
    assert team_page.status_code == 200


def test_the_new_endpoints_are_in_the_schema_with_examples():
    client = api_client_for(UserFactory())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    accept = paths["/api/v1/teams/invitations/accept"]["post"]
    invite = paths["/api/v1/teams/{team_id}/invitations"]["post"]
    assert "/api/v1/teams/{team_id}/invitations/{invitation_id}/revoke" in paths
    assert "get" in paths["/api/v1/teams/{team_id}/invitations"]
    assert accept["requestBody"]["content"]["application/json"]["examples"]
    assert set(accept["responses"]) >= {"200", "403", "404", "409", "410"}
    assert accept["responses"]["410"]["content"]["application/json"]["examples"]
    assert invite["responses"]["201"]["content"]["application/json"]["examples"]


def test_an_invited_membership_from_before_invitations_still_counts_and_accepts():
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna, members=UserFactory.create_batch(7))  # 8 active
    TeamMembership.objects.create(team=team, user=bram, status="invited")  # no invitation row
    client = api_client_for(anna)

    too_many = client.post(
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": ["x@example.org", "y@example.org"]},
        format="json",
    )
    accepted = api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")

    assert too_many.status_code == 409
    assert accepted.status_code == 200
    assert TeamMembership.objects.filter(team=team, status="active").count() == 9


def test_inviting_a_members_address_looks_like_any_other_and_frees_its_seat_when_answered(send):
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna, members=[bram])

    response = send(
        api_client_for(anna).post,
        f"/api/v1/teams/{team.id}/invitations",
        {"emails": [bram.email]},
        format="json",
    )
    answered = api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept")

    assert response.status_code == 201 and response.data[0]["status"] == "pending"
    assert answered.status_code == 200
    assert TeamInvitation.objects.get().status == "accepted"
    assert TeamMembership.objects.get(team=team, user=bram).status == "active"
