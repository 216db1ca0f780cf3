"""Settings for ``benchmarks/api_load.py`` only: the production-like stack on loopback.

Never deployed: this module is imported only by the benchmark's gunicorn. It serves the
project as ``config.settings.local`` does with DEBUG off, plus a bare JSON view (the
yardstick, ``benchmarks/bench_urls.py``), Redis as the shared cache (as production has it)
and throttle rates high enough that the load is not refused with 429s.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import REST_FRAMEWORK, SIMPLE_JWT, env

DEBUG = False
ROOT_URLCONF = "bench_urls"
try:  # a checkout from before core/cache.py (``--src``) gets Django's own client
    import core.cache  # noqa: F401

    _REDIS = "core.cache.RedisCache"
except ImportError:
    _REDIS = "django.core.cache.backends.redis.RedisCache"
CACHES = {
    "default": {
        "BACKEND": _REDIS,
        "LOCATION": env("CACHE_URL", default="redis://127.0.0.1:6379/1").replace(
            "rediscache://", "redis://"
        ),
    }
}
CANOPY_READ_CACHE = env.bool("CANOPY_READ_CACHE", default=True)  # Redis: shared, as production
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "anon": "10000000/minute",
    "user": "10000000/minute",
}
SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] = __import__("datetime").timedelta(hours=2)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
