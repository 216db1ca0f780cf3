"""Developer machine and `make run`: debug on, embedded defaults."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Development only: a fixed, public key, so `make run` works without any setup. Never use it
# for real tokens; production.py has no default.
CANOPY_FIELD_ENCRYPTION_KEY = env(
    "CANOPY_FIELD_ENCRYPTION_KEY", default="XsO4tkRC1l_0fymz4NhHFLrcrnAQi-iARmhYVTVp-DU="
)
# The demo links "banks" through Canopy's offline Plaid Link sandbox unless told otherwise.
CANOPY_PLAID_LINK = env("CANOPY_PLAID_LINK", default="sandbox")
# The demo's bank is the sandbox bank (production refuses this).
CANOPY_SANDBOX_ENABLED = env.bool("CANOPY_SANDBOX_ENABLED", default=True)
