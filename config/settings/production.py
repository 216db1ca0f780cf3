"""Production: every secret from the environment, no defaults for what must be set."""

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CANOPY_DEMO_ENABLED,
    CANOPY_PLAID_LINK,
    CANOPY_SANDBOX_ENABLED,
    DATABASES,
    env,
    logging_config,
)

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refuse to start without it
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")  # no default either
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Encrypts stored Plaid access tokens; no default: refuse to start without it.
CANOPY_FIELD_ENCRYPTION_KEY = env("CANOPY_FIELD_ENCRYPTION_KEY")

# SECURITY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# The sandbox bank invents transactions: never in production (docs/feeds.md, "Trust levels").
# Canopy's offline Plaid Link stand-in serves the same sandbox bank.
if CANOPY_SANDBOX_ENABLED:
    raise ImproperlyConfigured("CANOPY_SANDBOX_ENABLED must not be set in production.")
# THE LIVING DEMO: its accounts have fixed, published passwords; never in production.
if CANOPY_DEMO_ENABLED:
    raise ImproperlyConfigured("CANOPY_DEMO_ENABLED must not be set in production.")
if CANOPY_PLAID_LINK != "plaid":
    raise ImproperlyConfigured("CANOPY_PLAID_LINK must be 'plaid' in production.")

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# SERVICES (issue 16): no in-process fallbacks in production
# ------------------------------------------------------------------------------
# Without a broker, base.py runs every task in-process, inside web requests: refuse instead.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")  # no default: refuse to start without it
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("Set CELERY_BROKER_URL: production runs tasks on workers.")
CELERY_TASK_ALWAYS_EAGER = False


def _shared_cache() -> dict:
    """The cache every process shares (throttle counters, lockouts): CACHE_URL, or else the
    broker's Redis server one database up (``redis://h:6379/0`` -> ``redis://h:6379/1``).
    A per-process cache would give every worker its own throttle budget, so it is refused."""
    url = env.str("CACHE_URL", default="")
    if url:
        cache = env.cache_url_config(url)
    elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        parts = urlsplit(CELERY_BROKER_URL)
        db = int(parts.path.strip("/") or 0) + 1
        location = urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))
        cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    else:
        raise ImproperlyConfigured("Set CACHE_URL: production needs a cache shared by processes.")
    if cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # The same cache, without a new Redis client object per operation (core/cache.py).
        cache["BACKEND"] = "core.cache.RedisCache"
    if cache["BACKEND"].endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        raise ImproperlyConfigured(
            "CACHE_URL must name a shared cache (Redis, Memcached), not a per-process one."
        )
    return cache


CACHES = {"default": _shared_cache()}
# The read model's cache (base.py): every process shares this cache, so it is on by default.
CANOPY_READ_CACHE = env.bool("CANOPY_READ_CACHE", default=True)


# OBSERVABILITY (issue 16; docs/observability.md)
# ------------------------------------------------------------------------------
# JSON log lines on stdout, one per event, for the log shipper.
CANOPY_LOG_JSON = env.bool("CANOPY_LOG_JSON", default=True)
LOGGING = logging_config(json=CANOPY_LOG_JSON, level=env("DJANGO_LOG_LEVEL", default="INFO"))
CANOPY_METRICS_TOKEN = env("CANOPY_METRICS_TOKEN", default="")
if CANOPY_METRICS_TOKEN and len(CANOPY_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("CANOPY_METRICS_TOKEN must be at least 32 characters.")
CANOPY_METRICS_ALLOWED_IPS = env.list("CANOPY_METRICS_ALLOWED_IPS", default=[])
for _network in CANOPY_METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CANOPY_METRICS_ALLOWED_IPS: {exc}") from exc
# Sentry only when SENTRY_DSN is set; no personal data either way (config/observability.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.observability import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
