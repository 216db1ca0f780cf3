"""A planting partner's purchase API on a local port, to take down and bring back.

Answers ``POST /impact/trees`` like Ecologi (201 with a tree URL), buys one tree per
``Idempotency-Key`` however often a key is sent, and can answer 503 or stop listening
altogether (connection refused), as a partner outage does.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePlantingPartner:
    def __init__(self) -> None:
        self.mode = "up"  # "up" | "503"
        self.requests: list[str] = []  # the Idempotency-Key of every request that arrived
        self.trees: dict[str, str] = {}  # key -> tree URL: what the partner bought
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append(key)
                if fake.mode == "503":
                    self._answer(503, {"error": "maintenance"})
                    return
                url = fake.trees.setdefault(key, f"https://partner.test/tree/{len(fake.trees) + 1}")
                self._answer(201, {"amount": 0.6, "currency": "GBP", "treeUrl": url})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: the next request is refused, as when the partner is down."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
