"""The WSGI entry point. It defaults to production settings: a server started without
DJANGO_SETTINGS_MODULE must refuse to run without its secrets, never fall back to the
development settings and their public keys (``make run`` goes through manage.py, local)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from config.warmup import warm_up  # noqa: E402  (needs the settings get_wsgi_application set up)

warm_up()  # before gunicorn forks its workers: none pays for it on its first request
