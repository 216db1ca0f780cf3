"""Registration does not reveal registered addresses; addresses are verified by a mailed token."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "groene-trein-2026"


def _register(email: str, password: str = PASSWORD):
    return APIClient().post(
        "/api/v1/auth/register", {"email": email, "password": password}, format="json"
    )


def _token(message) -> str:
    return re.search(r"#token=(\S+)", message.body).group(1)


def test_a_new_and_a_registered_address_get_the_same_answer(django_capture_on_commit_callbacks):
    owner = UserFactory(email="sanne@example.nl")
    with django_capture_on_commit_callbacks(execute=True):
        taken = _register("Sanne@Example.nl")
        new = _register("bram@example.nl")

    assert taken.status_code == new.status_code == 202
    assert taken.json() == new.json()
    assert User.objects.filter(email="sanne@example.nl").count() == 1
    # Each address hears what concerns it, and only it.
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"sanne@example.nl", "bram@example.nl"}
    assert "#token=" not in by_address["sanne@example.nl"].body
    assert "#token=" in by_address["bram@example.nl"].body
    owner.refresh_from_db()
    assert owner.check_password("groene-trein-2026")


def test_a_weak_password_is_refused_alike_for_new_and_registered_addresses():
    UserFactory(email="sanne@example.nl")
    taken = _register("sanne@example.nl", password="12345678901")
    new = _register("bram@example.nl", password="12345678901")
    assert taken.status_code == new.status_code == 400
    assert taken.json() == new.json()


def test_the_mailed_token_verifies_the_address(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _register("bram@example.nl")
    token = _token(mail.outbox[0])

    response = APIClient().post("/api/v1/auth/email/verify", {"token": token}, format="json")

    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert User.objects.get(email="bram@example.nl").email_verified_at is not None
    again = APIClient().post("/api/v1/auth/email/verify", {"token": token}, format="json")
    assert again.status_code == 200  # idempotent


@pytest.mark.parametrize("tamper", ["forged", "expired", "address_changed"])
def test_a_bad_token_verifies_nothing(tamper, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _register("bram@example.nl")
    token = _token(mail.outbox[0])
    user = User.objects.get(email="bram@example.nl")
    client = APIClient()
    if tamper == "forged":
        response = client.post("/api/v1/auth/email/verify", {"token": token[:-2] + "xx"})
    elif tamper == "expired":
        with time_machine.travel(timezone.now() + timezone.timedelta(days=4)):
            response = client.post("/api/v1/auth/email/verify", {"token": token})
    else:
        user.email = "other@example.nl"
        user.save(update_fields=["email"])
        response = client.post("/api/v1/auth/email/verify", {"token": token})

    assert response.status_code == 400
    assert response.json()["code"] == "token_invalid"
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_the_verification_e_mail_can_be_sent_again_a_few_times(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email_verified_at=None)
    client = APIClient()
    client.force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post("/api/v1/me/email/verification").status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert len(mail.outbox) == 3
    assert client.get("/api/v1/me").json()["email_verified"] is False
