"""Developer machine and `make run`: debug on, embedded defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Development only: a fixed, public key. Anyone can sign session cookies and JWTs with it, so it
# is refused unless DEBUG is on (a server run with these settings by mistake does not start).
DEV_SECRET_KEY = "insecure-local-only-key-do-not-use-in-production"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
if SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "The public development key is only allowed with DJANGO_DEBUG on; set DJANGO_SECRET_KEY "
        "(and use config.settings.production to deploy)."
    )
# Development only: a fixed, public key, so `make run` works without any setup. Never use it
# for real tokens; production.py has no default.
CANOPY_FIELD_ENCRYPTION_KEY = env(
    "CANOPY_FIELD_ENCRYPTION_KEY", default="XsO4tkRC1l_0fymz4NhHFLrcrnAQi-iARmhYVTVp-DU="
)
# The demo links "banks" through Canopy's offline Plaid Link sandbox unless told otherwise.
CANOPY_PLAID_LINK = env("CANOPY_PLAID_LINK", default="sandbox")
# The demo's bank is the sandbox bank (production refuses this).
CANOPY_SANDBOX_ENABLED = env.bool("CANOPY_SANDBOX_ENABLED", default=True)

# THE LIVING DEMO (docs/demo.md): `make run` seeds it; its fixed passwords are for this machine.
CANOPY_DEMO_ENABLED = env.bool("CANOPY_DEMO_ENABLED", default=True)
