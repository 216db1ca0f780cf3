"""A local stand-in for Google's OAuth token endpoint and FCM's HTTP v1 send API, as documented
(https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send and the FCM
error codes), served by a tiny threaded HTTP server on 127.0.0.1: the real sending code runs
against it, no internet.

Answers per registration token: a token in ``unregistered`` gets 404 UNREGISTERED, one in
``invalid`` gets 400 INVALID_ARGUMENT, and each token in ``script`` pops its next scripted
status (503 UNAVAILABLE, 500 INTERNAL, 429 QUOTA_EXCEEDED with Retry-After) before the 200s.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "canopy-test"
ERRORS = {
    400: "INVALID_ARGUMENT",
    404: "UNREGISTERED",
    429: "QUOTA_EXCEEDED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class FakeFcm:
    url: str = ""
    sends: list[dict] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    token_requests: int = 0
    unregistered: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)
    script: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered_to(self) -> list[str]:
        return [s["message"]["token"] for s in self.sends if s.get("_status") == 200]

    def answer(self, token: str) -> int:
        with self.lock:
            if token in self.unregistered:
                return 404
            if token in self.invalid:
                return 400
            queue = self.script.get(token)
            if queue:
                return queue.pop(0)
            return 200


def _handler(fake: FakeFcm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet test output
            pass

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/token":  # the service account's JWT grant
                with fake.lock:
                    fake.token_requests += 1
                self._json(
                    200, {"access_token": "ya29.fake", "expires_in": 3600, "token_type": "Bearer"}
                )
                return
            if self.path != f"/v1/projects/{PROJECT}/messages:send":
                self._json(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
                return
            body = json.loads(raw)
            token = body["message"]["token"]
            status = fake.answer(token)
            with fake.lock:
                fake.sends.append({**body, "_status": status})
                fake.auth_headers.append(self.headers.get("Authorization", ""))
            if status == 200:
                self._json(200, {"name": f"projects/{PROJECT}/messages/{len(fake.sends)}"})
                return
            self._json(
                status,
                {
                    "error": {
                        "code": status,
                        "message": "fake FCM error",
                        "status": STATUS_NAMES[status],
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                "errorCode": ERRORS[status],
                            }
                        ],
                    }
                },
                {"Retry-After": "120"} if status == 429 else None,
            )

    return Handler


@lru_cache(maxsize=1)
def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_json(token_uri: str) -> str:
    pem = (
        _private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return json.dumps(
        {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "fake-key-1",
            "private_key": pem,
            "client_email": f"push@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": token_uri,
        }
    )


class FakeFcmServer:
    """``with FakeFcmServer() as fake:`` serves until the block ends."""

    def __init__(self) -> None:
        self.fake = FakeFcm()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.fake.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeFcm:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def fcm_configured(settings) -> Iterator[FakeFcm]:
    """Serve a fake FCM and point the push settings (pytest-django's ``settings``) at it."""
    with FakeFcmServer() as fake:
        settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON = service_account_json(f"{fake.url}/token")
        settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE = ""
        settings.CANOPY_PUSH_FCM_PROJECT_ID = ""
        settings.CANOPY_PUSH_FCM_ENDPOINT = fake.url
        settings.CANOPY_PUSH_TIMEOUT_SECONDS = 5.0
        yield fake
