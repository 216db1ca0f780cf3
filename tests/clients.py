"""API clients for tests: the consumer app as a signed-in user."""

from __future__ import annotations

from rest_framework.test import APIClient


def api_client_for(user) -> APIClient:
    """An API client authenticated as ``user`` (no token round trip: the tests look past it)."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client
