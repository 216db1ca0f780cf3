"""The database going away mid-request answers 503 with nothing half-written.

With ``ATOMIC_REQUESTS`` the view's transaction has already been rolled back when
``process_exception`` runs (Django wraps only the view in the atomic block), so whatever the
request wrote before the connection dropped is gone; this turns the error into a 503 with
``Retry-After`` (JSON under ``/api/``, a plain page elsewhere) instead of a 500, and closes the
broken connection so the next request opens a fresh one. docs/failure-modes.md.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# Lost connections, a server restarting or failing over, a statement or lock timeout: all
# are worth retrying in a moment, none is the client's fault or a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_response(request) -> HttpResponse:
    message = gettext("The service is briefly unavailable. Please try again in a moment.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "service_unavailable"}, status=503
        )
    else:
        # No request context: its processors could touch the database that just failed.
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable(request, exception)


def database_unavailable(request, exception: Exception) -> HttpResponse | None:
    """The 503 for a lost database (its broken connections closed), or None for any other
    error. ``core.transactions`` calls it too, for the reads it runs outside Django's path."""
    if not isinstance(exception, DATABASE_UNAVAILABLE):
        return None
    logger.warning(
        "database unavailable during %s %s: %s: %s",
        request.method,
        request.path,
        exception.__class__.__name__,
        str(exception).splitlines()[0] if str(exception) else "",
    )
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    return database_unavailable_response(request)
