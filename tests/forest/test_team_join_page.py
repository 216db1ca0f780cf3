"""The page team invitation e-mails link to: ``/teams/join#token=…``, in Dutch and English."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_default_language():
    yield
    translation.deactivate()  # the middleware leaves the last request's language active


def test_the_join_page_explains_how_to_join_in_dutch_and_english(client):
    dutch = client.get("/teams/join", HTTP_ACCEPT_LANGUAGE="nl")
    english = client.get("/teams/join", HTTP_ACCEPT_LANGUAGE="en")

    assert dutch.status_code == english.status_code == 200
    nl, en = dutch.content.decode(), english.content.decode()
    assert '<html lang="nl">' in nl
    assert "Word lid van een plantteam" in nl
    assert "Openen in de Canopy-app" in nl
    assert "maak je account aan met het e-mailadres waarnaar de uitnodiging is verstuurd" in nl
    assert "Join a co-planting team" in en
    assert "Open in the Canopy app" in en
    assert "create your account with the e-mail address the invitation was sent to" in en
    # The token only ever reaches the page's own script, through the fragment.
    assert 'href="canopy://teams/join"' in nl
    assert "location.hash" in nl


def test_the_join_page_is_public_and_has_no_trailing_slash_twin(client):
    assert client.get("/teams/join").status_code == 200
    assert client.get("/teams/join/").status_code == 404
