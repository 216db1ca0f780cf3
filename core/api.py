"""Project-wide API plumbing: pagination, the exception handler and the JSON 404."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, serializers, status
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


def api_datetime(value: datetime | None) -> str | None:
    """A datetime as DRF's ``DateTimeField`` writes it: ISO 8601 in the current time zone,
    UTC spelled ``Z``. For views that build plain dicts instead of running a serializer."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_Plan = list[tuple[str, list[str] | None, Callable | None, str | None]]
_PLANS: dict[type, _Plan] = {}


def _plan(serializer_class: type) -> _Plan:
    """Each readable field once: its name, where it reads, and how it writes the value."""
    plan = _PLANS.get(serializer_class)
    if plan is None:
        plan = []
        for field in serializer_class()._readable_fields:
            attrs = None if field.source == "*" else field.source_attrs
            name = str(field.field_name)
            if isinstance(field, serializers.SerializerMethodField):
                plan.append((name, attrs, None, str(field.method_name)))
            else:
                plan.append((name, attrs, field.to_representation, None))
        _PLANS[serializer_class] = plan
    return plan


def plain_rows(serializer: serializers.BaseSerializer, rows) -> list[dict]:
    """``serializer``'s output for each of ``rows`` (what ``many=True`` gives), made faster.

    DRF builds a serializer's fields anew for every instance (for a ``ModelSerializer`` from
    the model's fields) and looks each field up for every row; this plans the readable fields
    once per serializer class and runs each field's own ``to_representation``, so the output
    is the serializer's, value for value (``None`` stays ``None``, as DRF leaves it).
    ``SerializerMethodField`` methods run on ``serializer`` (with its context). For flat
    serializers whose fields read plain attributes or dict keys.
    """
    plan = _plan(type(serializer))
    methods = {m: getattr(serializer, m) for _n, _a, _r, m in plan if m is not None}
    out = []
    for row in rows:
        body = {}
        mapping = isinstance(row, dict)
        for name, attrs, represent, method in plan:
            value = row
            for attr in attrs or ():
                value = value[attr] if mapping else getattr(value, attr)
            if method is not None:
                body[name] = methods[method](value)
            else:
                body[name] = None if value is None else represent(value)  # type: ignore[misc]
        out.append(body)
    return out


def error_response(message: str, *, code: str, status_code: int, **extra) -> Response:
    return Response({"detail": message, "code": code, **extra}, status=status_code)
