"""Requests that only read run without a transaction around them.

``ATOMIC_REQUESTS`` wraps every view in BEGIN … COMMIT: two more round trips to the
database for a GET that only reads, and a snapshot held for the whole view. This middleware
(last in ``MIDDLEWARE``) calls the view itself, outside any transaction, for the safe methods
(GET, HEAD, OPTIONS); every other method goes on to Django, which wraps the view in
``transaction.atomic`` as before (a view marked ``non_atomic_requests`` still is not).

Inside a transaction someone else holds (the tests') the view gets a savepoint, as
``ATOMIC_REQUESTS`` gave it. A read whose statements must see one snapshot says so itself
(``transaction.atomic`` in its selector); a service called from a GET that writes opens its
own transaction, as every service does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from core.middleware import DATABASE_UNAVAILABLE, database_unavailable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NonAtomicReadsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in SAFE_METHODS or not settings.CANOPY_NON_ATOMIC_READS:
            return None  # Django's own path: the view in a transaction (ATOMIC_REQUESTS)
        try:
            if transaction.get_connection().in_atomic_block:
                # Called inside a transaction someone else holds (a test, a caller): a
                # savepoint, so an API error's rollback (DRF's set_rollback) undoes this view,
                # not theirs.
                with transaction.atomic():
                    return view_func(request, *view_args, **view_kwargs)
            return view_func(request, *view_args, **view_kwargs)
        except DATABASE_UNAVAILABLE as exc:
            # Django hands a view's exception to the middleware's process_exception, but not
            # one raised here in process_view: the lost database's 503 is given here.
            response = database_unavailable(request, exc)
            if response is None:
                raise
            return response
