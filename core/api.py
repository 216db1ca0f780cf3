"""Project-wide API plumbing: pagination, the exception handler and the JSON 404."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class CursorPagination(pagination.PageNumberPagination):
    """Page numbers with a client-chosen size, capped so no request can ask for everything."""

    page_size_query_param = "page_size"
    max_page_size = 200


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus Django's own errors translated to 4xx instead of 500.

    Messages come out in the request's language (LocaleMiddleware reads Accept-Language);
    the ``code`` next to them stays English for programs.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(detail=exc.message_dict)
        else:  # one message (or a few): the Error body, as the schema says (core/openapi.py)
            exc = exceptions.ValidationError(detail={"detail": " ".join(exc.messages)})
    elif isinstance(exc, IntegrityError):
        logger.info("integrity error turned into 409: %s", exc)
        exc = Conflict(gettext("This conflicts with data that already exists."))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # ValidationError("…") with no field: DRF answers a bare list; the schema has objects.
        response.data = {"detail": " ".join(str(m) for m in response.data)}
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(exc, "default_code", "error"))
    return response


@csrf_exempt  # it changes nothing; without this a POST would get Django's HTML CSRF page
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown routes under /api/ answer in JSON, like every other API error, for any method."""
    return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)


def error_response(message: str, *, code: str, status_code: int, **extra) -> Response:
    return Response({"detail": message, "code": code, **extra}, status=status_code)
