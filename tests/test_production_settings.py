"""Production settings refuse to start without secrets, and pass Django's deploy checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "an-example-secret-key-that-is-long-and-random-enough-1234567890-abcdef",
    "DJANGO_ALLOWED_HOSTS": "canopy.example.org",
    "DATABASE_URL": "postgres://canopy@127.0.0.1:5432/canopy",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CANOPY_FIELD_ENCRYPTION_KEY": "v4J3sQ0yQm2b7m0cFZk9fF6x3eJQb1oVqk2b8yJr0gE=",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=EXAMPLE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != "DJANGO_ALLOWED_HOSTS"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_with_the_living_demo_enabled():
    """The demo's accounts have published passwords: seed_demo and demo_advance need it."""
    result = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_DEMO_ENABLED": "1"})
    assert result.returncode != 0
    assert "CANOPY_DEMO_ENABLED" in result.stderr


def test_production_refuses_to_start_with_the_sandbox_bank_enabled():
    result = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_SANDBOX_ENABLED": "1"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CANOPY_SANDBOX_ENABLED" in result.stderr


def test_production_refuses_to_start_with_the_offline_plaid_sandbox():
    result = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_PLAID_LINK": "sandbox"})
    assert result.returncode != 0
    assert "CANOPY_PLAID_LINK" in result.stderr


def test_production_settings_leave_the_sandbox_and_self_reported_earning_off():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.CANOPY_SANDBOX_ENABLED, "
        "s.CANOPY_SELF_REPORTED_EARNS, s.CANOPY_CONSENT_GRACE_DAYS)",
        env=EXAMPLE_ENV,
    )
    assert result.returncode == 0, result.stderr
    # (the shell may print a line of its own first: the last line is ours)
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "False", "7"]


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    base = {k: v for k, v in base.items() if k not in ("CELERY_BROKER_URL", "CACHE_URL")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_broker():
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != "CELERY_BROKER_URL"}
    result = run_manage("check", env={**env, "CELERY_BROKER_URL": ""})
    assert result.returncode != 0
    assert "CELERY_BROKER_URL" in result.stderr


def test_production_refuses_a_per_process_cache():
    result = run_manage("check", env={**EXAMPLE_ENV, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    assert "shared cache" in result.stderr


def test_production_shares_the_broker_s_redis_when_no_cache_is_named():
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES)"
    result = run_python(code, EXAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    assert "core.cache.RedisCache" in result.stdout  # Django's, one client per pool
    assert "redis://127.0.0.1:6379/1" in result.stdout


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi", "config.celery_app"])
def test_deployment_entry_points_default_to_production_settings(module):
    """Started without DJANGO_SETTINGS_MODULE they need the production secrets; they never run
    on the development settings, whose public key would let anyone forge tokens."""
    code = f"import {module}; import django; django.setup()"
    result = run_python(code, {})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    ok = run_python(
        f"import {module}; from django.conf import settings; print(settings.DEBUG)",
        {k: v for k, v in EXAMPLE_ENV.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "False"


def test_the_wsgi_app_is_warm_before_workers_fork_and_holds_no_connection():
    """gunicorn forks workers from the preloaded app (config/warmup.py): the views are imported
    already, so no recycled worker's first request waits for them, and no database connection
    is open to be shared by the forks."""
    code = (
        "import gc, sys, config.wsgi; from django.db import connections; "
        "print('forest.api.energy' in sys.modules, "
        "all(c.connection is None for c in connections.all()), gc.get_freeze_count() > 100000)"
    )
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    # and the loaded objects are out of the collector's way (a full collection is ~70 ms)
    assert result.stdout.split()[-3:] == ["True", "True", "True"]


def test_local_settings_refuse_the_public_key_without_debug():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "development key" in result.stderr
    with_key = run_python(
        "import django; django.setup()",
        {**env, "DJANGO_SECRET_KEY": EXAMPLE_ENV["DJANGO_SECRET_KEY"]},
    )
    assert with_key.returncode == 0, with_key.stderr


def test_a_redis_visibility_timeout_shorter_than_a_task_can_be_held_is_refused():
    """Redis would hand a task still running to a second worker (docs/failure-modes.md)."""
    env = {**EXAMPLE_ENV, "CELERY_BROKER_VISIBILITY_TIMEOUT": "60"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "CELERY_BROKER_VISIBILITY_TIMEOUT" in result.stderr

    result = run_manage("shell", "-c", _PRINT_TRANSPORT, env=EXAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("{'visibility_timeout': 4200}")


_PRINT_TRANSPORT = (
    "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"
)
