"""Request ids: a well-formed X-Request-ID is kept, anything else replaced; the id is returned,
written on the request's log lines and carried into the Celery tasks the request sends.
Production writes JSON lines; Sentry starts only with a DSN and sends no personal data."""

from __future__ import annotations

import io
import json
import logging
import re
import time

import pytest
import structlog
from celery import shared_task

from config.logs import formatter
from config.observability import sentry_before_send
from config.request_id import client_hash
from tests.test_production_settings import EXAMPLE_ENV, run_manage

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)


def test_a_well_formed_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a:2026.12.05_ab")
    assert response["X-Request-ID"] == "lb-7f3a:2026.12.05_ab"


@pytest.mark.parametrize(
    "incoming",
    [None, "", "short", "x" * 129, "has spaces in it", "user@example.nl", "a\nb-123456789"],
)
def test_a_missing_or_malformed_request_id_is_replaced(client, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = client.get("/healthz", **headers)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_every_request_gets_its_own_id(client):
    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_the_request_lines_carry_the_id_the_route_and_a_hashed_client(client, log_lines):
    response = client.get(
        "/api/v1/me", HTTP_X_REQUEST_ID="req-0123456789", REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 401

    lines = [line for line in log_lines() if line.get("request_id") == "req-0123456789"]
    finished = next(line for line in lines if line["event"] == "request_finished")
    assert finished["request"] == "GET /api/v1/me"
    assert finished["code"] == 401
    assert finished["client"] == client_hash("203.0.113.5") != "203.0.113.5"
    assert finished["duration_ms"] >= 0
    warning = next(line for line in lines if line["logger"] == "django.request")
    assert warning["event"] == "Unauthorized: /api/v1/me"


@shared_task(name="tests.request_id_probe")
def _request_id_probe() -> int:
    structlog.get_logger("tests.probe").info("probe_ran")
    return 1


@pytest.mark.broker
@pytest.mark.postgres
def test_a_task_sent_during_a_request_logs_its_request_id_on_the_worker(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line]

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            # After the worker set its logging up (Django's LOGGING, config/celery_app.py).
            logging.getLogger().addHandler(handler)
            with structlog.contextvars.bound_contextvars(request_id="req-to-worker-42"):
                _request_id_probe.delay()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if any(line["event"] == "probe_ran" for line in lines()):
                    break
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
        logging.getLogger().removeHandler(handler)
    probe = next(line for line in lines() if line["event"] == "probe_ran")
    assert probe["request_id"] == "req-to-worker-42"
    assert probe["task_id"]
    # Sent from a process that runs a worker too, the task is logged as enqueued once.
    enqueued = [
        line
        for line in lines()
        if line["event"] == "task_enqueued" and line["child_task_id"] == probe["task_id"]
    ]
    assert len(enqueued) == 1


# --- production ---------------------------------------------------------------------------


def test_production_writes_json_lines():
    result = run_manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('canopy.probe').warning('hello %s', 'x@example.nl')",
        env=EXAMPLE_ENV,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["event"] == "hello [redacted]"
    assert (line["level"], line["logger"]) == ("warning", "canopy.probe")


def test_sentry_starts_only_with_a_dsn_and_never_with_personal_data():
    probe = (
        "import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), c.options.get('send_default_pii'), "
        "c.options.get('max_request_body_size'), c.options.get('before_send') is not None)"
    )
    without = run_manage("shell", "-c", probe, env=EXAMPLE_ENV)
    assert without.returncode == 0, without.stderr
    assert without.stdout.strip().splitlines()[-1].split()[0] == "False"

    dsn = {"SENTRY_DSN": "https://public@sentry.example.invalid/1"}
    with_dsn = run_manage("shell", "-c", probe, env={**EXAMPLE_ENV, **dsn})
    assert with_dsn.returncode == 0, with_dsn.stderr
    assert with_dsn.stdout.strip().splitlines()[-1].split() == ["True", "False", "never", "True"]


def test_sentry_events_leave_without_personal_data():
    event = {
        "message": "import failed for jan@example.nl, NL91ABNA0417164300",
        "request": {
            "url": "https://canopy.example.org/notifications/unsubscribe/tok3n-secret-value",
            "query_string": "email=jan@example.nl",
            "data": {"password": "hunter2-hunter2"},
            "headers": {"Authorization": "Bearer abc.def.ghi", "User-Agent": "app/1"},
            "cookies": {"sessionid": "s3cr3t"},
        },
        "user": {"email": "jan@example.nl", "ip_address": "203.0.113.5"},
        "extra": {"iban": "NL91ABNA0417164300", "note": "from 203.0.113.5"},
    }
    sent = json.dumps(sentry_before_send(event, {}))
    secrets = ("jan@example.nl", "NL91ABNA0417164300", "tok3n-secret-value", "hunter2", "203.0.113")
    for secret in secrets:
        assert secret not in sent
    assert "abc.def.ghi" not in sent and "s3cr3t" not in sent
    assert "/notifications/unsubscribe/<str:token>" in sent
