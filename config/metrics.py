"""Prometheus metrics: the endpoint, and Celery task durations (docs/observability.md).

``GET /metrics`` is not public. It answers 200 to a request with ``Authorization: Bearer
<CANOPY_METRICS_TOKEN>`` or from an address in ``CANOPY_METRICS_ALLOWED_IPS`` (read through
``core.net.client_ip``, so through the trusted proxies only); a wrong token is a 401, no
token a 401 when a token is configured and a 403 otherwise. With neither setting the
endpoint answers 403 to everyone.

What it serves: django-prometheus' request metrics, the counters the apps move
(``forest.metrics``), the Celery task durations below, and the collectors read from the
database at scrape time (``forest.metrics.ForestCollector``,
``partners.metrics.PlantingOrdersCollector``). With ``PROMETHEUS_MULTIPROC_DIR`` set (several
gunicorn workers, Celery's prefork children) every process writes its values to that
directory and the endpoint sums them.

The Celery signal handlers are connected when ``config.celery_app`` imports this module, so
this module imports no models at import time.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_shutdown
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

from core.net import client_ip

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

TASK_DURATION = Histogram(
    "canopy_celery_task_duration_seconds",
    "Celery task run time, by task and final state (SUCCESS, FAILURE, RETRY).",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1500, 1800),
)
_started: dict[str, float] = {}


@task_prerun.connect(dispatch_uid="canopy-task-duration-start")
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect(dispatch_uid="canopy-task-duration-end")
def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or task is None:
        return
    TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(
        time.perf_counter() - started
    )


@worker_process_shutdown.connect(dispatch_uid="canopy-metrics-process-dead")
def _worker_process_dead(pid: int | None = None, **kwargs: Any) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid or os.getpid())


def metrics_access(request: HttpRequest) -> int:
    """200 if the request may read the metrics, else the status to answer (401 or 403)."""
    token = settings.CANOPY_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 401 if token else 403
        return 200 if hmac.compare_digest(given.strip().encode(), token.encode()) else 401
    if _ip_allowed(client_ip(request)):
        return 200
    return 401 if token else 403


def _ip_allowed(ip: str) -> bool:
    networks = settings.CANOPY_METRICS_ALLOWED_IPS
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def metrics_exposition() -> bytes:
    """The text exposition: the processes' metrics, then the scrape-time collectors."""
    from forest.metrics import ForestCollector
    from partners.metrics import PlantingOrdersCollector

    if os.environ.get(MULTIPROC_ENV):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    database = CollectorRegistry()
    database.register(ForestCollector())
    database.register(PlantingOrdersCollector())
    return generate_latest(processes) + generate_latest(database)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    status = metrics_access(request)
    if status != 200:
        response = HttpResponse(status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
