"""Plaid over HTTP without a network: ``urllib.request.urlopen`` answers recorded bodies."""

from __future__ import annotations

import io
import json
import urllib.error
from pathlib import Path
from urllib.parse import urlsplit

RECORDED = Path(__file__).parent / "fixtures_feeds" / "plaid_link"
EXCHANGED_ACCESS_TOKEN = "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
EXCHANGED_ITEM_ID = "M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op"

# Plaid's own HTTP status for each recorded body.
STATUS = {
    "error_invalid_public_token.json": 400,
    "error_item_login_required.json": 400,
    "error_item_not_found.json": 400,
    "error_invalid_api_keys.json": 400,
    "error_rate_limit.json": 429,
    "error_internal_server_error.json": 500,
    "gateway_502.html": 502,
}


class RecordedPlaidHttp:
    """Stands in for ``urlopen``: answers each Plaid path with a recorded file (or raises).

    ``answers`` maps a path (``/item/public_token/exchange``) to a file name in
    ``fixtures_feeds/plaid_link`` or to an exception to raise (a timeout).
    """

    def __init__(self, answers: dict[str, str | BaseException]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, dict]] = []

    def __call__(self, request, timeout=None):
        path = urlsplit(request.full_url).path
        self.requests.append((request.full_url, json.loads(request.data)))
        answer = self.answers[path]
        if isinstance(answer, BaseException):
            raise answer
        body = (RECORDED / answer).read_bytes()
        status = STATUS.get(answer, 200)
        if status >= 400:
            raise urllib.error.HTTPError(
                request.full_url,
                status,
                "error",
                {},
                io.BytesIO(body),  # type: ignore[arg-type]
            )
        return io.BytesIO(body)

    def paths(self) -> list[str]:
        return [urlsplit(url).path for url, _ in self.requests]


def use_plaid_http(mocker, monkeypatch, settings, answers: dict) -> RecordedPlaidHttp:
    """Link through the HTTP adapter, with credentials, against recorded answers."""
    settings.CANOPY_PLAID_LINK = "plaid"
    monkeypatch.setenv("CANOPY_PLAID_CLIENT_ID", "client-test")
    monkeypatch.setenv("CANOPY_PLAID_SECRET", "secret-test")
    monkeypatch.setenv("CANOPY_PLAID_ENV", "sandbox")
    recorded = RecordedPlaidHttp(answers)
    mocker.patch("urllib.request.urlopen", recorded)
    return recorded
