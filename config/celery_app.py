"""The Celery application. Workers and beat default to production settings (set
DJANGO_SETTINGS_MODULE=config.settings.local for a development worker: `make worker` does).
Without CELERY_BROKER_URL, the local settings run tasks in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("canopy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
