"""Shared fixtures, and the rules that make CI fail rather than skip.

Tests marked ``postgres`` need PostgreSQL (row locks, real concurrency) and tests marked
``broker`` need a real Celery broker. Without those services they are deselected, so the
embedded SQLite run stays green on a laptop; ``browser`` tests likewise need Debian's
chromium. With CANOPY_REQUIRE_SERVICES=1 (set by .ci/run for its PostgreSQL run) or
CANOPY_REQUIRE_BROWSER=1 a missing service is an error, never a silent skip.

Scale-out (docs/scale.md): ``rabbitmq`` tests start Celery workers against the RabbitMQ at
CANOPY_RABBITMQ_URL (default: the local one's default vhost); ``replica`` tests start a streaming
replica of the local PostgreSQL with pg_basebackup (root, to run it as the postgres user).
Both are deselected without those, and required with CANOPY_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.clients import api_client_for

REQUIRE_SERVICES = os.environ.get("CANOPY_REQUIRE_SERVICES") == "1"
HAS_POSTGRES = settings.IS_POSTGRES
HAS_BROKER = bool(os.environ.get("CELERY_BROKER_URL"))
REQUIRE_BROWSER = os.environ.get("CANOPY_REQUIRE_BROWSER") == "1"
HAS_BROWSER = bool(os.environ.get("CANOPY_CHROMIUM") or shutil.which("chromium"))
RABBITMQ_URL = os.environ.get("CANOPY_RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1:5672//"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 2).close()
    except OSError:
        return False
    return True


HAS_RABBITMQ = HAS_POSTGRES and _answers(RABBITMQ_URL)
HAS_REPLICA_TOOLS = (
    HAS_POSTGRES
    and hasattr(os, "geteuid")
    and os.geteuid() == 0
    and bool(shutil.which("pg_basebackup"))
)


def pytest_configure(config) -> None:
    if REQUIRE_SERVICES and not (HAS_POSTGRES and HAS_BROKER):
        raise pytest.UsageError(
            "CANOPY_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL or CELERY_BROKER_URL "
            "is unset: the PostgreSQL and broker tests would not run."
        )
    if REQUIRE_SERVICES and not (HAS_RABBITMQ and HAS_REPLICA_TOOLS):
        raise pytest.UsageError(
            f"CANOPY_REQUIRE_SERVICES=1 but RabbitMQ ({RABBITMQ_URL}) does not answer or "
            "pg_basebackup cannot run as root: the scale-out tests would not run."
        )
    if REQUIRE_BROWSER and not HAS_BROWSER:
        raise pytest.UsageError("CANOPY_REQUIRE_BROWSER=1 but no chromium is installed.")


def pytest_collection_modifyitems(config, items) -> None:
    keep, drop = [], []
    for item in items:
        needs_pg = item.get_closest_marker("postgres") is not None
        needs_broker = item.get_closest_marker("broker") is not None
        needs_browser = item.get_closest_marker("browser") is not None
        needs_rabbitmq = item.get_closest_marker("rabbitmq") is not None
        needs_replica = item.get_closest_marker("replica") is not None
        if (
            (needs_pg and not HAS_POSTGRES)
            or (needs_rabbitmq and not HAS_RABBITMQ)
            or (needs_replica and not HAS_REPLICA_TOOLS)
            or (needs_broker and not HAS_BROKER)
            or (needs_browser and not HAS_BROWSER)
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config) -> str:
    engine = "PostgreSQL" if HAS_POSTGRES else "SQLite"
    broker = "real broker" if HAS_BROKER else "in-process tasks"
    browser = "chromium" if HAS_BROWSER else "no browser"
    return f"canopy: {engine}, {broker}, {browser}, require services: {REQUIRE_SERVICES}"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache; every test starts with fresh ones."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request with ``Accept-Language: nl`` activates Dutch for the whole thread (Django's
    LocaleMiddleware does not switch back); the next test starts in the default language."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user_client(user) -> APIClient:
    return api_client_for(user)


@pytest.fixture
def catalogue(transactional_db):
    """The seeded rules and exchange rates, back after a transactional test's flush emptied them."""
    import importlib

    from django.apps import apps

    from forest.models import GreenActionRule

    if not GreenActionRule.objects.exists():
        importlib.import_module("forest.migrations.0002_seed_rules").load(apps, None)
