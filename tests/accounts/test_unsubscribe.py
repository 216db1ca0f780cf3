"""The signed one-click unsubscribe link of e-mails: no login, per user and topic."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Profile
from accounts.services.notifications import notification_dispatch, unsubscribe_token
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(token: str) -> str:
    return f"/notifications/unsubscribe/{token}"


def test_the_link_in_an_e_mail_turns_that_topic_off_without_a_login(user):
    notification_dispatch(
        user_id=user.pk, topic="teams", kind="system", title="Hi", body="Body",
        dedupe_key="t1", email=True,
    )  # fmt: skip
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = Client()

    page = client.get("/" + path)
    assert page.status_code == 200
    assert b"<form" in page.content
    assert Profile.objects.get(user=user).notify_teams  # a GET (link scanner) changes nothing

    done = client.post("/" + path)

    assert done.status_code == 200
    assert "unsubscribed" in done.content.decode()
    profile = Profile.objects.get(user=user)
    assert not profile.notify_teams
    assert profile.notify_energy and profile.email_enabled  # only that topic


def test_a_mail_clients_one_click_post_works_without_csrf(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url(unsubscribe_token(user_id=user.pk, topic="energy")),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not Profile.objects.get(user=user).notify_energy


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        unsubscribe_token(user_id=1, topic="energy")[:-2] + "xx",
        unsubscribe_token(user_id=1, topic="consent"),  # cannot be switched off
        unsubscribe_token(user_id=1, topic="gossip"),
    ],
)
def test_a_tampered_or_invalid_link_is_a_400(user, token):
    response = Client().post(url(token))

    assert response.status_code == 400
    assert Profile.objects.get(user=user).notify_energy


def test_one_users_token_cannot_be_turned_into_anothers():
    anna, bram = UserFactory(), UserFactory()
    token = unsubscribe_token(user_id=anna.pk, topic="trees")
    signature = token.rpartition(":")[2]
    forged = unsubscribe_token(user_id=bram.pk, topic="trees").rpartition(":")[0] + ":" + signature

    assert Client().post(url(forged)).status_code == 400
    assert Client().post(url(token)).status_code == 200
    assert Profile.objects.get(user=bram).notify_trees
    assert not Profile.objects.get(user=anna).notify_trees


def test_the_page_is_in_dutch_for_dutch_readers(user):
    response = Client().get(
        url(unsubscribe_token(user_id=user.pk, topic="trees")), HTTP_ACCEPT_LANGUAGE="nl"
    )

    assert response.status_code == 200
    assert 'lang="nl"' in response.content.decode()
