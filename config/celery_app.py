"""The Celery application. Workers and beat default to production settings (set
DJANGO_SETTINGS_MODULE=config.settings.local for a development worker: `make worker` does).
Without CELERY_BROKER_URL, the local settings run tasks in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("canopy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Logs and metrics (docs/observability.md). A task sent from a request carries its request
# id (django-structlog puts it in the message's headers, the worker step binds it to the
# task's lines); workers and beat log through Django's LOGGING, JSON in production, instead
# of Celery's own handlers; task durations go to Prometheus (config/metrics.py).
from celery.signals import setup_logging  # noqa: E402
from django_structlog.celery.steps import DjangoStructLogInitStep  # noqa: E402

import config.metrics  # noqa: E402, F401  (connects the task duration signals)

app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
