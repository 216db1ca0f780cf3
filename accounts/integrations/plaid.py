"""Plaid: ``PlaidLinkAdapter`` creates link tokens, exchanges the app's public token for the
item's access token, removes items and pulls sync pages, over HTTPS (``PlaidProvider``) or
offline (``PlaidSandbox``, the demo and tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.integrations.providers import PLAID_PAGE_SIZE, ProviderError, SandboxProvider
from accounts.integrations.sources.base import NormalisedTransaction
from accounts.integrations.sources.plaid import SyncPage, parse_sync_page
from accounts.models import LinkedFeed, PlaidItem
from accounts.services.crypto import DecryptionFailed

Transport = Callable[[str, dict], dict]


def urllib_transport(url: str, body: dict, *, timeout: float = 30.0) -> dict:
    """POST ``body`` as JSON and return the JSON answer (Plaid answers errors in JSON too)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read())
        except ValueError:
            raise ProviderError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise ProviderError(f"{url} could not be reached: {exc}") from exc


class PlaidError(ProviderError):
    """Plaid answered with one of its documented error bodies (``error_type``, ``error_code``)."""

    # Worth trying again later: Plaid or the bank is busy or down, or a sync page moved.
    RETRYABLE_TYPES = frozenset({"RATE_LIMIT_EXCEEDED", "API_ERROR", "INSTITUTION_ERROR"})
    RETRYABLE_CODES = frozenset({"TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"})

    def __init__(
        self, *, error_type: str, error_code: str, error_message: str, display_message: str = ""
    ) -> None:
        super().__init__(
            f"Plaid {error_code}: {error_message}".strip(),
            retryable=error_type in self.RETRYABLE_TYPES or error_code in self.RETRYABLE_CODES,
        )
        self.error_type = error_type
        self.error_code = error_code
        self.display_message = display_message


@dataclass(frozen=True, slots=True)
class LinkToken:
    link_token: str
    expiration: datetime


@dataclass(frozen=True, slots=True)
class PlaidAccess:
    """What ``/item/public_token/exchange`` returns. Never logged, never sent to clients."""

    access_token: str
    item_id: str

    def __repr__(self) -> str:  # keeps the token out of tracebacks and debug output
        return "PlaidAccess(access_token=<secret>, item_id=<secret>)"


class PlaidLinkAdapter(Protocol):
    """Plaid Link's server side, and the pull of a linked item's transactions."""

    name: str

    def link_token_create(
        self,
        *,
        client_user_id: str,
        language: str,
        country_codes: list[str],
        client_name: str,
        redirect_uri: str = "",
    ) -> LinkToken: ...

    def public_token_exchange(self, *, public_token: str) -> PlaidAccess: ...

    def item_remove(self, *, access_token: str) -> None: ...

    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage: ...


class PlaidProvider:
    """The Plaid API over HTTPS: Link tokens, the public token exchange, item removal and
    ``/transactions/sync``.

    ``CANOPY_PLAID_CLIENT_ID``, ``CANOPY_PLAID_SECRET`` and ``CANOPY_PLAID_ENV`` (``sandbox``,
    ``production``) are read when the adapter is built. A feed's access token is the one
    stored (encrypted) when it was linked through Plaid Link (``access_token_for``). The HTTP
    call goes through ``transport`` so tests replay recorded answers and never touch the
    network.
    """

    name = "plaid"
    hosts = {"sandbox": "https://sandbox.plaid.com", "production": "https://production.plaid.com"}

    def __init__(
        self,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        environment: str | None = None,
        transport: Transport | None = None,
        access_token_for: Callable[[LinkedFeed], str] | None = None,
    ) -> None:
        self.client_id = client_id or os.environ.get("CANOPY_PLAID_CLIENT_ID", "")
        self.secret = secret or os.environ.get("CANOPY_PLAID_SECRET", "")
        environment = environment or os.environ.get("CANOPY_PLAID_ENV", "sandbox")
        if environment not in self.hosts:
            raise ProviderError(f"unknown Plaid environment {environment!r}", retryable=False)
        self.base_url = self.hosts[environment]
        self.transport = transport or urllib_transport
        self.access_token_for = access_token_for or stored_access_token

    def _call(self, path: str, body: dict) -> dict:
        """POST to Plaid with the credentials; its error bodies become ``PlaidError``."""
        if not self.client_id or not self.secret:
            raise ProviderError("Plaid credentials are not configured", retryable=False)
        answer = self.transport(
            f"{self.base_url}{path}", {"client_id": self.client_id, "secret": self.secret, **body}
        )
        if not isinstance(answer, dict):
            raise ProviderError("Plaid answered with something that is not a JSON object")
        if answer.get("error_code"):
            raise PlaidError(
                error_type=str(answer.get("error_type") or ""),
                error_code=str(answer.get("error_code")),
                error_message=str(answer.get("error_message") or ""),
                display_message=str(answer.get("display_message") or ""),
            )
        return answer

    def link_token_create(
        self,
        *,
        client_user_id: str,
        language: str,
        country_codes: list[str],
        client_name: str,
        redirect_uri: str = "",
    ) -> LinkToken:
        body: dict = {
            "client_name": client_name,
            "language": language,
            "country_codes": country_codes,
            "user": {"client_user_id": client_user_id},
            "products": ["transactions"],
        }
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        answer = self._call("/link/token/create", body)
        expiration = parse_datetime(str(answer.get("expiration") or ""))
        if not answer.get("link_token") or expiration is None:
            raise ProviderError("Plaid's /link/token/create answer has no link_token/expiration")
        return LinkToken(link_token=str(answer["link_token"]), expiration=expiration)

    def public_token_exchange(self, *, public_token: str) -> PlaidAccess:
        answer = self._call("/item/public_token/exchange", {"public_token": public_token})
        if not answer.get("access_token") or not answer.get("item_id"):
            raise ProviderError("Plaid's exchange answer has no access_token/item_id")
        return PlaidAccess(access_token=str(answer["access_token"]), item_id=str(answer["item_id"]))

    def item_remove(self, *, access_token: str) -> None:
        self._call("/item/remove", {"access_token": access_token})

    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage:
        if not self.client_id or not self.secret:
            raise ProviderError("Plaid credentials are not configured", retryable=False)
        body: dict = {"access_token": self.access_token_for(feed), "count": PLAID_PAGE_SIZE}
        if cursor:
            body["cursor"] = cursor
        page = parse_sync_page(self._call("/transactions/sync", body))
        # One Plaid item can hold several accounts; this feed is one of them.
        page.items = [
            item
            for item in page.items
            if not isinstance(item, NormalisedTransaction)
            or not isinstance(item.raw, dict)
            or item.raw.get("account_id") in (None, feed.account_ref)
        ]
        return page


class PlaidSandbox:
    """Canopy's offline stand-in for Plaid Link (the demo and the tests; no network).

    Deterministic: the link token follows from the user's id, and ``public-sandbox-…`` public
    tokens exchange for ``access-sandbox-…`` tokens that follow from them (anything else is
    Plaid's ``INVALID_PUBLIC_TOKEN``). Its items are served by the sandbox bank, seeded by the
    feed's account, as Plaid sync pages.
    """

    name = "sandbox"
    link_token_hours = 4  # Plaid's link tokens live four hours too

    def link_token_create(
        self,
        *,
        client_user_id: str,
        language: str,
        country_codes: list[str],
        client_name: str,
        redirect_uri: str = "",
    ) -> LinkToken:
        seed = hashlib.sha256(f"link:{client_user_id}".encode()).hexdigest()
        return LinkToken(
            link_token=f"link-sandbox-{uuid.UUID(seed[:32])}",
            expiration=timezone.now().replace(microsecond=0)
            + timedelta(hours=self.link_token_hours),
        )

    def public_token_exchange(self, *, public_token: str) -> PlaidAccess:
        if not _SANDBOX_PUBLIC_TOKEN.fullmatch(public_token):
            raise PlaidError(
                error_type="INVALID_INPUT",
                error_code="INVALID_PUBLIC_TOKEN",
                error_message="provided public token is in an invalid format. expected format: "
                "public-<environment>-<identifier>",
            )
        seed = hashlib.sha256(f"item:{public_token}".encode()).hexdigest()
        return PlaidAccess(
            access_token=f"access-sandbox-{uuid.UUID(seed[:32])}",
            item_id=f"item-sandbox-{seed[32:56]}",
        )

    def item_remove(self, *, access_token: str) -> None:
        if not access_token.startswith("access-sandbox-"):
            raise PlaidError(
                error_type="INVALID_INPUT",
                error_code="INVALID_ACCESS_TOKEN",
                error_message="provided access token is in an invalid format",
            )

    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage:
        if not stored_access_token(feed).startswith("access-sandbox-"):
            raise ProviderError("not a sandbox access token", retryable=False)
        return SandboxProvider().sync(feed=feed, cursor=cursor)


_SANDBOX_PUBLIC_TOKEN = re.compile(r"public-sandbox-[A-Za-z0-9-]{1,200}")


def stored_access_token(feed: LinkedFeed) -> str:
    """The access token stored (encrypted) when the feed was linked through Plaid Link."""
    item = PlaidItem.objects.filter(feed_id=feed.pk).first()
    try:
        token = item.access_token() if item is not None else ""
    except DecryptionFailed as exc:
        raise ProviderError(str(exc), retryable=False) from None
    if not token:
        raise ProviderError(
            "no Plaid access token for this feed: link it through Plaid Link", retryable=False
        )
    return token


def plaid_link_adapter(name: str | None = None) -> PlaidLinkAdapter:
    """The adapter ``settings.CANOPY_PLAID_LINK`` names: ``plaid`` (HTTP) or ``sandbox``."""
    name = name or settings.CANOPY_PLAID_LINK
    if name == "sandbox":
        return PlaidSandbox()
    return PlaidProvider()
