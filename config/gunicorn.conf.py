"""gunicorn settings for the API: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Chosen by measurement (benchmarks/api_load.py, README "API load"): sync workers, as many as
cores by default. With the read model's cache most reads are one Redis round trip of about
a tenth of a millisecond, so a worker seldom waits; alternated runs on our 2-core machines at
50 connections gave the same requests/s with 2, 3 and 4 workers, and the lowest p99 with 2
(home screen p99 42, 52 and 215 ms against 116, 125 and 220 ms with 3): more processes
than cores only add switching. Workers are kept alive across requests so
a connection to PostgreSQL (CONN_MAX_AGE) and the compiled queries stay warm; each worker
restarts after a jittered number of requests to bound memory growth. Every value can be set
from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10_000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 1_000))
# Load the app once in the master: workers fork with Django set up and share its pages.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"

# Logs and metrics (docs/observability.md): gunicorn's own lines as JSON, no access log (it
# would write IPs and full URLs; Django's request line replaces it), and the multi-process
# Prometheus bookkeeping (a PROMETHEUS_MULTIPROC_DIR is required when it is set up).
from config import observability  # noqa: E402

logconfig_dict = observability.gunicorn_logconfig()
accesslog = None
on_starting = observability.gunicorn_on_starting
child_exit = observability.gunicorn_child_exit
