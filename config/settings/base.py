"""Settings shared by every environment. Values come from the environment (django-environ).

Without DATABASE_URL Canopy runs on an embedded SQLite file; without CELERY_BROKER_URL
Celery tasks run in-process. Production sets both (see production.py and the README).
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# No usable default: local.py and test.py set their own; production.py requires the variable.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor" / "django_celery_beat"]
SITE_URL = env("CANOPY_SITE_URL", default="http://127.0.0.1:8000")

# DATABASES
# ------------------------------------------------------------------------------
# An empty DATABASE_URL counts as unset, so `DATABASE_URL= make test` means SQLite.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the dev server and in-process tasks share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# forest_ga_user_day_earned carries INCLUDE columns for an index-only scan on PostgreSQL;
# SQLite (development, tests) builds the same index on its key columns alone, which is what
# models.W040 says on every command there.
SILENCED_SYSTEM_CHECKS = [] if IS_POSTGRES else ["models.W040"]

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "django_filters",
    "django_celery_beat",
    "accounts",
    "catalogue",
    "forest",
    "partners",
    "privacy",
    "demo",
]
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "partners:login"
LOGIN_REDIRECT_URL = "partners:dashboard"
LOGOUT_REDIRECT_URL = "partners:login"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# PASSWORDS
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("CANOPY_MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Bank files can be large; the upload view enforces its own limit and answers 413.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CANOPY_MAX_UPLOAD_BYTES = env.int("CANOPY_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)

# CACHES (throttling counters live here; use Redis when several processes serve)
# ------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://canopy")}

# EMAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Canopy <noreply@canopy.local>")

# REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON with a nesting bound (core/jsonsafe.py); the rest as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "core.jsonsafe.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    # DRF's own get_ident reads X-Forwarded-For through this many proxies (see core/net.py).
    "NUM_PROXIES": env.int("CANOPY_TRUSTED_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("CANOPY_THROTTLE_ANON", default="60/minute"),
        "user": env("CANOPY_THROTTLE_USER", default="600/minute"),
        "auth": env("CANOPY_THROTTLE_AUTH", default="10/minute"),
        "webhook": env("CANOPY_THROTTLE_WEBHOOK", default="600/minute"),
        # POST /feeds/plaid/link-token and /feeds/plaid/exchange, per user, shared.
        "plaid_link": env("CANOPY_THROTTLE_PLAID_LINK", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": __import__("datetime").timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": __import__("datetime").timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Access tokens carry a hash of the password: a password change revokes them at once.
    "CHECK_REVOKE_TOKEN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Canopy API",
    "DESCRIPTION": (
        "The consumer API of Canopy: link bank feeds with explicit consent, see each transaction's "
        "green action and why, collect green energy, grow a tree that gets really planted. "
        "Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <access>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers (401, 403, 404, 400, 415, 429) with the project's error
    # bodies: core/openapi.py (issue 16, finding 10).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_error_responses",
    ],
}

# CELERY
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker configured: the embedded default runs every task in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # a hostname: kombu warns on every task without one
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# Tasks are idempotent, so a task whose worker died is redelivered rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Redelivery of unacknowledged tasks (Redis visibility_timeout): the FAULTS block below.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks live in the database (admin: Periodic tasks); defaults in core/schedules.py.
CELERY_BEAT_SCHEDULE: dict = {}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# CANOPY
# ------------------------------------------------------------------------------
# Shared secrets for aggregator webhooks, per provider: CANOPY_WEBHOOK_SECRET_<PROVIDER>.
CANOPY_WEBHOOK_TOLERANCE_SECONDS = 300
CANOPY_CONSENT_DAYS = {"default": 180, "sandbox": 180, "plaid": 180, "berlin_group": 180, "uk": 90}

# Secrets stored in the database (Plaid access tokens) are Fernet-encrypted with this key:
# one or more url-safe base64 32-byte keys, comma separated, the first encrypting
# (accounts/crypto.py). Empty here: local.py and test.py set fixed throwaway keys, and
# production.py refuses to start without one.
CANOPY_FIELD_ENCRYPTION_KEY = env("CANOPY_FIELD_ENCRYPTION_KEY", default="")

# Plaid Link. "plaid" calls the Plaid API (CANOPY_PLAID_CLIENT_ID, _SECRET, _ENV); "sandbox" is
# Canopy's offline stand-in with deterministic tokens, serving the sandbox bank (demo, tests).
CANOPY_PLAID_LINK = env("CANOPY_PLAID_LINK", default="plaid")
CANOPY_PLAID_CLIENT_NAME = env("CANOPY_PLAID_CLIENT_NAME", default="Canopy")
CANOPY_PLAID_COUNTRY_CODES = env.list("CANOPY_PLAID_COUNTRY_CODES", default=["NL"])
# Needed by Plaid for banks that log in through OAuth (most European banks) on mobile.
CANOPY_PLAID_REDIRECT_URI = env("CANOPY_PLAID_REDIRECT_URI", default="")

# The sponsors' top-up invoices (partners.services.billing): who issues them, as JSON with the keys
# name, address (a list of lines), vat_number, coc_number, iban, bic and email; unset keys keep
# obvious placeholders. The VAT rate in percent (0 for reverse charge) and the top-up limits.
CANOPY_INVOICE_ISSUER = env.json("CANOPY_INVOICE_ISSUER", default={})
CANOPY_INVOICE_VAT_RATE = env.str("CANOPY_INVOICE_VAT_RATE", default="21.00")
CANOPY_TOPUP_MIN = env.str("CANOPY_TOPUP_MIN", default="50.00")
CANOPY_TOPUP_MAX = env.str("CANOPY_TOPUP_MAX", default="100000.00")

# TRUST: WHICH TRANSACTIONS EARN ENERGY (docs/feeds.md, "Trust levels")
# ------------------------------------------------------------------------------
# The sandbox bank (invented transactions): refused unless enabled. local.py and test.py enable
# it for the demo and the tests; production.py refuses to start with it enabled.
CANOPY_SANDBOX_ENABLED = env.bool("CANOPY_SANDBOX_ENABLED", default=False)
# Self-reported files (the user's own uploads) import and show but earn nothing, unless a pilot
# lets them earn up to this many grams per user and calendar month of scoring (UTC).
CANOPY_SELF_REPORTED_EARNS = env.bool("CANOPY_SELF_REPORTED_EARNS", default=False)
CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS = env.int(
    "CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS", default=2_000
)
# Only transactions booked at most this many days before a feed's first consent earn energy.
CANOPY_CONSENT_GRACE_DAYS = env.int("CANOPY_CONSENT_GRACE_DAYS", default=7)

# THE LIVING DEMO (issue 15: `make run`, seed_demo, demo_advance; docs/demo.md)
# ------------------------------------------------------------------------------
# seed_demo and demo_advance refuse to run unless this is on: local.py and test.py turn it on,
# production.py refuses to start with it (the demo's passwords are fixed and public).
CANOPY_DEMO_ENABLED = env.bool("CANOPY_DEMO_ENABLED", default=False)

# SECURITY HARDENING (issue 16: trusted proxies, lockouts, limits; docs/security.md)
# ------------------------------------------------------------------------------
# How many reverse proxies stand in front of Canopy and append to X-Forwarded-For. 0 (the
# default) ignores the header: every throttle and the log-in lockout key on the socket's
# address (core/net.py). Set it to 1 behind one nginx or load balancer, and so on.
CANOPY_TRUSTED_PROXIES = env.int("CANOPY_TRUSTED_PROXIES", default=0)
INSTALLED_APPS += ["axes"]  # django-axes: the session log-ins' lockout (accounts/lockout.py)
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # turns a lockout into the 429 page
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.SessionLoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.SessionLoginLockoutHandler"
AXES_FAILURE_LIMIT = env.int("CANOPY_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = __import__("datetime").timedelta(
    minutes=env.int("CANOPY_LOGIN_LOCKOUT_MINUTES", default=15)
)
# Either a client IP or an e-mail address with too many failures is locked out: one address
# guessing many accounts, and many addresses guessing one account.
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True  # no log of successful log-ins (personal data we do not need)
AXES_VERBOSE = False
# JSON bodies (the API's parser, webhooks) nested deeper than this answer 400 (core/jsonsafe.py).
CANOPY_JSON_MAX_DEPTH = env.int("CANOPY_JSON_MAX_DEPTH", default=32)
# A webhook only names accounts: a larger body is refused (413) before it is verified.
CANOPY_WEBHOOK_MAX_BYTES = env.int("CANOPY_WEBHOOK_MAX_BYTES", default=64 * 1024)
# Content-Security-Policy on every response (django-csp). Inline <script>/<style> carry the
# request's nonce ({{ request.csp_nonce }}); inline event handlers are not allowed at all.
# style attributes stay allowed (the portal's bar widths): they cannot run script.
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[object]]] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# E-mail verification links (accounts/services/email_verification.py) are valid this long.
CANOPY_EMAIL_VERIFICATION_DAYS = env.int("CANOPY_EMAIL_VERIFICATION_DAYS", default=3)
# Team invitations e-mail other people: per inviter and per recipient, per 24 hours.
CANOPY_INVITATIONS_PER_DAY = env.int("CANOPY_INVITATIONS_PER_DAY", default=30)
CANOPY_INVITATIONS_PER_RECIPIENT = env.int("CANOPY_INVITATIONS_PER_RECIPIENT", default=3)
# Bounds per user and feed (4xx past them): linked feeds that are not revoked (409), files
# uploaded per 24 hours (429), transactions one feed may hold (the import is rejected, 400).
CANOPY_MAX_FEEDS_PER_USER = env.int("CANOPY_MAX_FEEDS_PER_USER", default=10)
CANOPY_MAX_UPLOADS_PER_DAY = env.int("CANOPY_MAX_UPLOADS_PER_DAY", default=50)
CANOPY_MAX_TRANSACTIONS_PER_FEED = env.int("CANOPY_MAX_TRANSACTIONS_PER_FEED", default=100_000)

# PUSH (accounts.services.push, docs/push.md)
# ------------------------------------------------------------------------------
# Firebase Cloud Messaging HTTP v1 (iOS through FCM too). A service account's JSON key, as a
# file path or as the JSON itself; without either the push channel is off (pushes are recorded
# with outcome "channel_off", and `check` says so at INFO level). The project id defaults to
# the key's. The endpoint is FCM's; tests point it at a local fake of FCM's API.
CANOPY_PUSH_FCM_CREDENTIALS_FILE = env("CANOPY_PUSH_FCM_CREDENTIALS_FILE", default="")
CANOPY_PUSH_FCM_CREDENTIALS_JSON = env("CANOPY_PUSH_FCM_CREDENTIALS_JSON", default="")
CANOPY_PUSH_FCM_PROJECT_ID = env("CANOPY_PUSH_FCM_PROJECT_ID", default="")
CANOPY_PUSH_FCM_ENDPOINT = env("CANOPY_PUSH_FCM_ENDPOINT", default="https://fcm.googleapis.com")
CANOPY_PUSH_TIMEOUT_SECONDS = env.float("CANOPY_PUSH_TIMEOUT_SECONDS", default=10.0)
# Devices one user may register (a phone, a tablet, a spare); the next is refused with a 409.
CANOPY_PUSH_MAX_DEVICES = env.int("CANOPY_PUSH_MAX_DEVICES", default=5)
# Pushes one user gets per local day (consent reminders do not count and are never held back).
CANOPY_PUSH_DAILY_BUDGET = env.int("CANOPY_PUSH_DAILY_BUDGET", default=4)
# Transient failures (FCM 429/5xx, network) are retried with exponential backoff, this often.
CANOPY_PUSH_MAX_ATTEMPTS = env.int("CANOPY_PUSH_MAX_ATTEMPTS", default=6)
# A push not sent within this many hours of when it was due is dropped (the inbox keeps it).
CANOPY_PUSH_MAX_AGE_HOURS = env.int("CANOPY_PUSH_MAX_AGE_HOURS", default=24)
# Sponsor campaign pushes (opt-in): at most one per user per this many days.
CANOPY_PUSH_SPONSOR_INTERVAL_DAYS = env.int("CANOPY_PUSH_SPONSOR_INTERVAL_DAYS", default=7)
# One delivery run goes on claiming batches for at most this long (the task runs every minute).
CANOPY_PUSH_RUN_SECONDS = env.int("CANOPY_PUSH_RUN_SECONDS", default=50)

# PORTAL: API docs, maps, reports (issue 15)
# ------------------------------------------------------------------------------
# Swagger UI and ReDoc are served from our own static files (drf-spectacular-sidecar), so the
# API docs work offline and load nothing from another origin.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
# Project-wide static files: vendored Leaflet (static/vendor/leaflet, with its licence), the
# map script and styles (static/portal).
STATICFILES_DIRS = [BASE_DIR / "static"]
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
)
# The portal's and the certificate page's map tiles ({z}/{x}/{y}); the map still draws the
# forest's outline and its trees when no tile loads. An empty value draws no tiles at all.
CANOPY_MAP_TILE_URL = env(
    "CANOPY_MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
CANOPY_MAP_TILE_ATTRIBUTION = env(
    "CANOPY_MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors"
)
# The Content-Security-Policy lets images come from the tile server's origin.
if CANOPY_MAP_TILE_URL.startswith("https://"):
    _img_src = CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    _img_src.append("https://" + CANOPY_MAP_TILE_URL.split("/")[2].replace("{s}", "*"))

# SCORING SAFETY: regex quarantine and lost chunks (issue 16, finding 3)
# ------------------------------------------------------------------------------
# A pending chunk of a run started this long ago is taken as lost and sent again.
SCORING_CHUNK_LOST_AFTER_MINUTES = env.int("SCORING_CHUNK_LOST_AFTER_MINUTES", default=60)

# OPERATORS: who hears about quarantined campaigns and rules (issue 16, finding 3)
# ------------------------------------------------------------------------------
# mail_admins goes to these addresses (comma-separated); none: the log line stays the only sign.
ADMINS = [
    ("Canopy operators", address) for address in env.list("CANOPY_OPERATOR_EMAILS", default=[])
]
# SCALE-OUT: PgBouncer and a read replica (issue 16; docs/deploy.md, docs/scale.md)
# ------------------------------------------------------------------------------
# "transaction" when the web and worker processes reach PostgreSQL through PgBouncer in
# transaction pooling mode: each transaction may land on another server connection, so nothing
# may outlive one. Django's server-side cursors (``.iterator()`` outside a transaction holds
# them open past its end) are switched off, and psycopg's server-side prepared statements.
# Canopy's own session state is transaction-scoped already: temp tables are ON COMMIT DROP,
# settings are SET LOCAL, locks are row locks (core/locks.py; no advisory locks); a test holds
# this (tests/core/test_pooling.py). docs/deploy.md, "PgBouncer".
CANOPY_DATABASE_POOLING = env.str("CANOPY_DATABASE_POOLING", default="")
if CANOPY_DATABASE_POOLING not in ("", "session", "transaction"):
    raise ImproperlyConfigured("CANOPY_DATABASE_POOLING is '', 'session' or 'transaction'.")


def _pooled(config: dict) -> dict:
    if CANOPY_DATABASE_POOLING == "transaction":
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return config


if IS_POSTGRES:
    _pooled(DATABASES["default"])
# A streaming replica of the primary for the sponsors' portal reports and exports (the CSVs,
# the impact report): core/replica.py names it, the selectors ask for it explicitly, and every
# other read and every write stays on "default". Unset: the reports read the primary.
CANOPY_REPLICA_DATABASE_URL = env.str("CANOPY_REPLICA_DATABASE_URL", default="")
if CANOPY_REPLICA_DATABASE_URL:
    DATABASES["replica"] = _pooled(env.db_url_config(CANOPY_REPLICA_DATABASE_URL))
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests read the primary's test database through the replica's server (pytest-django
    # creates no database of its own for it, and never flushes it).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.replica.PrimaryReplicaRouter"]
# FAULTS: redelivery against the time limits, lost workers (issue 16, finding 6, Faults)
# ------------------------------------------------------------------------------
# docs/failure-modes.md explains every number here.
# The longest countdown any task waits before a retry (score_chunk_task's retry_backoff_max,
# the planting submit's backoff): a delayed task is held unacknowledged by a worker meanwhile.
CANOPY_TASK_MAX_COUNTDOWN = 5 * 60
# Redis gives an unacknowledged task to another worker after visibility_timeout, even while
# the first is still running it. With acks_late and prefetch 1 a task can stay unacknowledged
# for a whole task waiting in the prefetch slot plus its own run (2 x the hard time limit),
# or for its longest countdown: below that, Redis would run live tasks twice. So 70 minutes.
# RabbitMQ's consumer_timeout (rabbitmq.conf) must be at least the same; a dead worker's
# connection closes and RabbitMQ redelivers at once. Neither is how a killed worker's
# scoring chunk comes back within a minute: that is the watchdog (SCORING_CHUNK_ABANDONED_*).
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT",
    default=2 * CELERY_TASK_TIME_LIMIT + CANOPY_TASK_MAX_COUNTDOWN + 5 * 60,
)
if CELERY_BROKER_VISIBILITY_TIMEOUT < 2 * CELERY_TASK_TIME_LIMIT + CANOPY_TASK_MAX_COUNTDOWN:
    raise ImproperlyConfigured(
        "CELERY_BROKER_VISIBILITY_TIMEOUT must be at least twice CELERY_TASK_TIME_LIMIT plus "
        "CANOPY_TASK_MAX_COUNTDOWN, or Redis redelivers tasks that are still running."
    )
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
# A started scoring chunk whose row lock is gone this long lost its worker (SIGKILL, OOM, a
# dead host once its database connection drops); forest.tasks.scoring_watchdog_task,
# every minute, sends it again. Short: a live worker holds the lock from its first second.
SCORING_CHUNK_ABANDONED_AFTER_SECONDS = env.int("SCORING_CHUNK_ABANDONED_AFTER_SECONDS", default=15)
# A chunk of a run this old that was neither sent nor started never left the fan-out (the
# broker went away midway): the watchdog sends it. Two minutes outlast any fan-out (thousands
# of chunks are sent in seconds, and noted sent a hundred at a time).
SCORING_CHUNK_UNSENT_AFTER_SECONDS = env.int("SCORING_CHUNK_UNSENT_AFTER_SECONDS", default=120)
# Beat publishes the nightly scoring once; if the broker is down then, the watchdog starts
# the missed run once the broker is back: when the scheduled time is this long past with no
# run started since (the normal run starts within seconds), and at most this long ago.
SCORING_CATCH_UP_AFTER_MINUTES = env.int("SCORING_CATCH_UP_AFTER_MINUTES", default=10)
SCORING_CATCH_UP_WITHIN_HOURS = env.int("SCORING_CATCH_UP_WITHIN_HOURS", default=12)
# The database dropping mid-request answers 503 (Retry-After), never 500, and the request's
# transaction (ATOMIC_REQUESTS) is rolled back whole: core/middleware.py. Near the top, so
# the inner middleware (axes) see an exception first and this one turns what is left to 503.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "core.middleware.DatabaseUnavailableMiddleware",
)
# OBSERVABILITY (issue 16: structured logs, request ids, metrics; docs/observability.md)
# ------------------------------------------------------------------------------
# structlog over the standard library: every line (Canopy's, Django's, Celery's) through one
# formatter that merges the request id and scrubs personal data (config/logs.py). JSON lines
# with CANOPY_LOG_JSON (production.py turns it on), readable columns otherwise.
from config.logs import configure_structlog, logging_config  # noqa: E402

CANOPY_LOG_JSON = env.bool("CANOPY_LOG_JSON", default=False)
configure_structlog()
LOGGING = logging_config(json=CANOPY_LOG_JSON, level=env("DJANGO_LOG_LEVEL", default="INFO"))
INSTALLED_APPS += ["django_structlog"]
# The request id first (config/request_id.py: a well-formed X-Request-ID is kept, else a new
# one, returned in the response); django-prometheus' pair around everything else; the
# request log after authentication so it names the user id (never the address).
MIDDLEWARE = [
    "config.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_structlog.middlewares.RequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True  # RequestIdMiddleware has validated it
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # a keyed hash of it instead ("client")
DJANGO_STRUCTLOG_CELERY_ENABLED = True  # tasks sent by a request log its request id
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = __import__("logging").DEBUG  # "finished" says all
# GET /metrics (config/metrics.py) answers only a bearer token or the listed addresses
# (single IPs or networks, as core.net.client_ip sees them); with neither it answers 403.
CANOPY_METRICS_TOKEN = env("CANOPY_METRICS_TOKEN", default="")
CANOPY_METRICS_ALLOWED_IPS = env.list("CANOPY_METRICS_ALLOWED_IPS", default=[])
# IMPORTS: the COPY path and background imports (issue 13 item 3, issue 16 finding 9)
# ------------------------------------------------------------------------------
# On PostgreSQL, CSV files can be offered to the COPY path first (accounts/services/import_copy.py);
# it declines any file it cannot read exactly like the Python path, which then imports it. On by
# default: the import tests pass on PostgreSQL with it on, and it imports a CSV file about twice
# as fast as the Python path (README, benchmarks); CANOPY_IMPORT_COPY=0 turns it off.
CANOPY_IMPORT_COPY = env.bool("CANOPY_IMPORT_COPY", default=True)
# Uploads larger than this are stored (encrypted) and imported by a Celery task: the upload
# answers 202 with the import job to poll (GET /api/v1/imports/{id}); smaller ones import in
# the request and answer 201.
CANOPY_BACKGROUND_IMPORT_BYTES = env.int("CANOPY_BACKGROUND_IMPORT_BYTES", default=2 * 1024 * 1024)
# SPEED WHERE USERS FEEL IT (issue 13: the home screen and the main lists; README "API load")
# ------------------------------------------------------------------------------
# Reads (GET, HEAD, OPTIONS) run outside a transaction; writes keep ATOMIC_REQUESTS
# (core/transactions.py). Last in MIDDLEWARE: it calls the view itself.
CANOPY_NON_ATOMIC_READS = env.bool("CANOPY_NON_ATOMIC_READS", default=True)
MIDDLEWARE += ["core.transactions.NonAtomicReadsMiddleware"]
# The JWT's user comes from the shared cache, dropped whenever the row is saved
# (accounts/authentication.py); this bounds the age of a copy.
CANOPY_AUTH_USER_CACHE_SECONDS = env.int("CANOPY_AUTH_USER_CACHE_SECONDS", default=60)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "accounts.authentication.CachedJWTAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
# orjson with DRF's spelling of values (core/renderers.py); the browsable API as before.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "core.renderers.ORJSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]
# The read model's cache (core/readcache.py, core/readviews.py): the home screen and the main
# lists kept as rendered JSON per user, dropped by every writer that changes what the user
# sees (documents showing friends' figures by their writes too); SECONDS bounds any document's
# age. On by default only with a cache every process shares: a per-process cache would not see
# another process's writes (test.py turns it on: one process).
CANOPY_READ_CACHE = env.bool(
    "CANOPY_READ_CACHE",
    default=not CACHES["default"]["BACKEND"].endswith(("locmem.LocMemCache", "dummy.DummyCache")),
)
CANOPY_READ_CACHE_SECONDS = env.int("CANOPY_READ_CACHE_SECONDS", default=300)
MIDDLEWARE.insert(
    MIDDLEWARE.index("core.transactions.NonAtomicReadsMiddleware"),
    "core.readviews.WriteForgetsMiddleware",
)
