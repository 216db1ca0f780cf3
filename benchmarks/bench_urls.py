"""The benchmark's URLs: the project's, plus the bare Django JSON view it measures against.

Only ``benchmarks/bench_settings.py`` points ROOT_URLCONF here; production never serves it.
"""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def bare(request) -> JsonResponse:
    """The yardstick: Django's whole middleware stack and a JSON body, no database, no auth."""
    return JsonResponse({"status": "ok", "balance_grams": 1234, "drops": []})


urlpatterns = [path("bench/bare", bare), *project_urlpatterns]
