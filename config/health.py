"""Liveness and readiness probes for deployment."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request) -> JsonResponse:
    """The process is up and answering. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not ready
        return False, exc.__class__.__name__
    return True, "ok"


def _broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "in-process"
    from kombu import Connection  # lazy: only needed when a real broker is configured

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises many kinds; all mean not ready
        return False, exc.__class__.__name__
    return True, "ok"


@require_GET
def readyz(request) -> JsonResponse:
    """Ready to serve: the database answers and, when configured, the broker does too."""
    db_ok, db_state = _database_ok()
    broker_ok, broker_state = _broker_ok()
    ready = db_ok and broker_ok
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "database": db_state, "broker": broker_state},
        status=200 if ready else 503,
    )
