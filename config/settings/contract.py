"""The API contract run (.ci/contract.sh): the test settings, served by a real server.

DEBUG stays off (test.py). The general throttles are raised so schemathesis reaches the views'
own answers; the endpoints' own throttles (login, password, DELETE /me, invitations, claims)
stay as they are, and their 429 is in the schema.
"""

from .test import *  # noqa: F403
from .test import REST_FRAMEWORK

# CONTRACT RUN
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "100000/minute",
        "user": "100000/minute",
    },
}
