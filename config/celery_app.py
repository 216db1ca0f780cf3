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
from celery import bootsteps  # noqa: E402
from celery.signals import (  # noqa: E402
    setup_logging,
    task_failure,
    task_prerun,
    task_rejected,
    task_retry,
    task_revoked,
    task_success,
    task_unknown,
)
from django_structlog.celery.receivers import CeleryReceiver  # noqa: E402

import config.metrics  # noqa: E402, F401  (connects the task duration signals)


class TaskLogStep(bootsteps.Step):
    """django-structlog's worker step without its publish receivers.

    ``DjangoStructLogInitStep`` connects the publish signals as well as the task ones, but with
    ``DJANGO_STRUCTLOG_CELERY_ENABLED`` django-structlog's AppConfig has connected the publish
    signals already, so every task a worker sent was logged ``task_enqueued`` twice. This step
    connects only the signals of the tasks a worker runs."""

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.receiver = receiver = CeleryReceiver()  # kept: signals hold weak references
        task_prerun.connect(receiver.receiver_task_prerun)
        task_retry.connect(receiver.receiver_task_retry)
        task_success.connect(receiver.receiver_task_success)
        task_failure.connect(receiver.receiver_task_failure)
        task_revoked.connect(receiver.receiver_task_revoked)
        task_unknown.connect(receiver.receiver_task_unknown)
        task_rejected.connect(receiver.receiver_task_rejected)


app.steps["worker"].add(TaskLogStep)


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
