"""Production: every secret from the environment, no defaults for what must be set."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CANOPY_PLAID_LINK, CANOPY_SANDBOX_ENABLED, DATABASES, env

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
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
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
if CANOPY_PLAID_LINK != "plaid":
    raise ImproperlyConfigured("CANOPY_PLAID_LINK must be 'plaid' in production.")

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
