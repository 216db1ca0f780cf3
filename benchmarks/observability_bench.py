"""Per-request cost of the observability middleware: `python benchmarks/observability_bench.py
[--n 2000] [--rounds 5]`.

Serves GET /healthz (a view that touches nothing) through Django's test client with the
project's whole middleware stack, and again without the request id + django-structlog pair,
without django-prometheus' pair, and without all four; the request lines are written as JSON
to /dev/null, as production writes them to stdout. Rounds alternate between the variants and
the median round is reported, in microseconds per request.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from config.logs import logging_config  # noqa: E402

STRUCTLOG = {
    "config.request_id.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
}
PROMETHEUS = {
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
}


def per_request_us(middleware: list[str], n: int) -> float:
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        client.get("/healthz")  # builds the middleware chain
        start = time.perf_counter()
        for _ in range(n):
            client.get("/healthz")
        return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    logging.config.dictConfig(logging_config(json=True, level="INFO"))
    devnull = open(os.devnull, "w")  # noqa: SIM115
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)

    full = list(settings.MIDDLEWARE)
    variants = {
        "all observability": full,
        "without request id + structlog": [m for m in full if m not in STRUCTLOG],
        "without django-prometheus": [m for m in full if m not in PROMETHEUS],
        "without any of them": [m for m in full if m not in STRUCTLOG | PROMETHEUS],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, middleware in variants.items():
            times[name].append(per_request_us(middleware, args.n))
    base = statistics.median(times["without any of them"])
    print(f"GET /healthz, {args.n} requests x {args.rounds} rounds, median round:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:34s} {median:8.1f} us/request  ({median - base:+7.1f} us)")


if __name__ == "__main__":
    main()
