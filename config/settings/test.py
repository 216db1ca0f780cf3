"""pytest. SQLite by default; PostgreSQL when DATABASE_URL is set (CI runs both)."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-long-enough-for-hs256-signing-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CANOPY_FIELD_ENCRYPTION_KEY = "L5_cckJn_naXF7MVtBzwQnA1ayf0xEIdifnExUWAH-U="  # tests only
CANOPY_PLAID_LINK = "sandbox"  # no network in tests; the HTTP adapter gets recorded answers
# Factories link sandbox feeds; the trust tests switch it off as production has it.
CANOPY_SANDBOX_ENABLED = True
# THE LIVING DEMO: the demo tests seed it; the refusal tests switch it off as production has it.
CANOPY_DEMO_ENABLED = True
# Tests run tasks in-process; the broker tests start a real worker and switch this off.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CANOPY_READ_CACHE = True  # one process: the per-process cache sees every write
MEDIA_ROOT = env.path("CANOPY_TEST_MEDIA_ROOT", default="/tmp/canopy-test-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": "file:canopytest?mode=memory&cache=shared"}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# FAULTS: the worker tests (tests/test_worker_faults.py) start `celery worker` subprocesses
# with these; unset, tests run tasks in-process and chunks do not wait.
CELERY_TASK_ALWAYS_EAGER = env.bool("CANOPY_TEST_TASKS_EAGER", default=True)
SCORING_CHUNK_TEST_HOLD_FILE = env.str("CANOPY_TEST_SCORING_HOLD_FILE", default="")
