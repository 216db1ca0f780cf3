"""Firebase Cloud Messaging, HTTP v1: one message to one registration token.

A thin client over FCM's documented REST API
(``POST {endpoint}/v1/projects/{project}/messages:send``) with ``google-auth`` for the
service account's OAuth 2 token (``FcmClient`` says why not its ``AuthorizedSession``),
rather than ``firebase-admin``: the Admin SDK hard-codes
FCM's address (tests could only reach a local fake by patching its private names) and brings
Firestore, Cloud Storage and gRPC along for one HTTP call. google-auth is what the SDK itself
signs in with; it takes the token endpoint from the key (``token_uri``) and says when the
token needs refreshing. docs/push.md says more.

Each answer is classified as FCM's error guide says:
``UNREGISTERED`` (404), ``INVALID_ARGUMENT`` (400) and ``SENDER_ID_MISMATCH`` (403) mean the
token is no good here (prune it); ``UNAVAILABLE`` (503), ``INTERNAL`` (500), ``QUOTA_EXCEEDED``
(429) and network failures are transient (retry later, after ``Retry-After`` if given);
anything else is a permanent failure of this message on this device.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

import requests
from django.conf import settings
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import Request
from google.oauth2 import service_account

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
PRUNE_CODES = frozenset({"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"})
TRANSIENT_CODES = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"})
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class PushNotConfigured(Exception):
    """No FCM credentials are configured: the push channel is off."""


@dataclass(frozen=True)
class SendResult:
    """The answer for one token: ``ok``, ``prune`` (the token is invalid), ``retry``
    (transient, ``retry_after`` seconds if FCM said) or ``failed``."""

    status: str
    detail: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str]
    collapse_key: str = ""


def _credentials_info() -> dict | None:
    raw = settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON
    path = settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE
    if raw:
        return json.loads(raw)
    if path:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return None


def push_configured() -> bool:
    """Whether credentials are set (not whether they work: FCM answers that)."""
    return bool(
        settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON or settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE
    )


class FcmClient:
    """Sends with a ``requests`` session and the service account's bearer token.

    The token is refreshed here (``credentials.refresh``) rather than through google-auth's
    ``AuthorizedSession``: its ``before_request`` also starts a background "regional access
    boundary" lookup at IAM Credentials for every service-account credential, a call FCM
    does not need (and one a test with no network cannot answer).
    """

    def __init__(self, *, info: dict, project_id: str, endpoint: str, timeout: float):
        self.credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[SCOPE]
        )
        self.session = requests.Session()
        self.auth_request = Request(self.session)
        self.url = f"{endpoint.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self.timeout = timeout
        self.lock = threading.Lock()

    def _token(self, *, renew: bool = False) -> str:
        with self.lock:
            if renew or not self.credentials.valid:
                self.credentials.refresh(self.auth_request)
            return str(self.credentials.token)

    def _post(self, body: dict, token: str) -> requests.Response:
        return self.session.post(
            self.url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=self.timeout,
        )

    @staticmethod
    def body(token: str, message: PushMessage) -> dict:
        """The v1 message: a notification both platforms show, the data the app routes on."""
        android: dict = {
            "priority": "normal",
            "ttl": f"{settings.CANOPY_PUSH_MAX_AGE_HOURS * 3600}s",
        }
        apns: dict = {"payload": {"aps": {"sound": "default"}}}
        if message.collapse_key:
            android["collapse_key"] = message.collapse_key
            apns["headers"] = {"apns-collapse-id": message.collapse_key[:64]}
        return {
            "message": {
                "token": token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
                "android": android,
                "apns": apns,
            }
        }

    def send(self, token: str, message: PushMessage) -> SendResult:
        body = self.body(token, message)
        try:
            response = self._post(body, self._token())
            if response.status_code == 401:  # the token was revoked or expired early
                response = self._post(body, self._token(renew=True))
        except (requests.RequestException, GoogleAuthError) as exc:
            return SendResult("retry", f"{type(exc).__name__}: {exc}"[:500])
        if response.status_code == 200:
            return SendResult("ok", response.json().get("name", ""))
        return classify_error(response)


def classify_error(response: requests.Response) -> SendResult:
    """Sort FCM's error answer into prune / retry / failed by its ``errorCode``."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code = ""
    for detail in error.get("details", []) or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = detail["errorCode"]
            break
    code = code or error.get("status", "")
    text = f"{response.status_code} {code}: {error.get('message', '')}".strip()[:500]
    if code in PRUNE_CODES:
        return SendResult("prune", text)
    if code in TRANSIENT_CODES or response.status_code in TRANSIENT_STATUSES:
        retry_after = response.headers.get("Retry-After")
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        return SendResult("retry", text, seconds)
    return SendResult("failed", text)


@lru_cache(maxsize=4)
def _client(raw: str, path: str, project: str, endpoint: str, timeout: float) -> FcmClient:
    info = _credentials_info()
    assert info is not None
    return FcmClient(
        info=info, project_id=project or info["project_id"], endpoint=endpoint, timeout=timeout
    )


def fcm_client() -> FcmClient:
    """The client for the current settings, kept per process (its OAuth token is reused until
    it expires). Raises ``PushNotConfigured`` without credentials."""
    if not push_configured():
        raise PushNotConfigured("no FCM credentials (CANOPY_PUSH_FCM_CREDENTIALS_FILE or _JSON)")
    return _client(
        settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON,
        settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE,
        settings.CANOPY_PUSH_FCM_PROJECT_ID,
        settings.CANOPY_PUSH_FCM_ENDPOINT,
        settings.CANOPY_PUSH_TIMEOUT_SECONDS,
    )
