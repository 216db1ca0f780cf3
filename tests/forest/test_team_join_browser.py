"""The join page in a real browser: the app's deep link carries the token from the fragment."""

from __future__ import annotations

import pytest

from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKEN = "q5V0x2vJ3cQ4m0Yv8o7m1c9bS7nE2Hk4xT6uW8yZ1aA"


def test_the_open_in_app_button_links_to_the_app_with_the_token(live_server):
    requested: list[str] = []

    with browser_page() as page:
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{live_server.url}/teams/join#token={TOKEN}")

        button = page.locator("#open-app")
        assert button.is_visible()
        assert button.get_attribute("href") == f"canopy://teams/join#token={TOKEN}"
        assert not page.locator("#join-missing").is_visible()

    assert requested == [f"{live_server.url}/teams/join"]  # the token went nowhere


def test_the_token_survives_switching_the_language_and_is_never_sent(live_server):
    sent: list[str] = []

    with browser_page() as page:
        page.on("request", lambda request: sent.append(f"{request.url} {request.post_data}"))
        page.goto(f"{live_server.url}/teams/join#token={TOKEN}")
        with page.expect_navigation():
            page.select_option("select[name=language]", "nl")

        assert page.locator("h1").inner_text() == "Word lid van een plantteam"
        assert page.locator("#open-app").get_attribute("href") == (
            f"canopy://teams/join#token={TOKEN}"
        )

    assert len(sent) >= 3  # the page, the language switch, the page again
    assert not [line for line in sent if TOKEN in line]


def test_without_a_token_the_page_says_the_link_is_incomplete(live_server):
    with browser_page() as page:
        page.goto(f"{live_server.url}/teams/join")

        assert page.locator("#join-missing").is_visible()
        assert not page.locator("#open-app").is_visible()
        assert "missing its invitation code" in page.locator("#join-missing").inner_text()


def test_a_token_that_is_not_one_is_not_put_into_the_link(live_server):
    with browser_page() as page:
        page.goto(f"{live_server.url}/teams/join#token=%22%3E%3Cscript%3E")

        assert page.locator("#join-missing").is_visible()
        assert page.locator("#open-app").get_attribute("href") == "canopy://teams/join"
