"""Load in the server's master what every worker would otherwise load on its first request.

gunicorn preloads the app (``preload_app``) and forks workers from it, and recycles each worker
after ``max_requests``. Django imports the URLconf (every view, serializer and schema
decoration), DRF its configured classes and gettext the catalogues lazily, on the first
request that needs them: about 200 ms that each new worker's first requests waited, which
showed as p99 spikes under load whenever a worker was recycled (benchmarks/api_load.py).
Loaded here once, before the fork, every worker starts warm. Touches no database, so no
connection is inherited by the forked workers.

Then the loaded objects (about 150,000: Django, DRF and every app) are moved out of the
garbage collector's reach (``gc.freeze``): they live as long as the process anyway, and a full
collection that scanned them stopped a worker for about 70 ms, which every request waiting on
that worker paid (the other half of the p99 spikes). It also keeps the forks from writing to,
and so copying, the master's memory pages when they collect.
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.urls import get_resolver
from django.utils.translation import trans_real
from rest_framework.settings import api_settings

DRF_CLASSES = (
    "DEFAULT_RENDERER_CLASSES",
    "DEFAULT_PARSER_CLASSES",
    "DEFAULT_AUTHENTICATION_CLASSES",
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS",
    "DEFAULT_PAGINATION_CLASS",
    "EXCEPTION_HANDLER",
)


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018  (imports every view)
    for name in DRF_CLASSES:
        getattr(api_settings, name)
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)  # reads and keeps the language's catalogues
    gc.collect()
    gc.freeze()
