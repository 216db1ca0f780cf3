"""The plumbing behind the API's speed (issue 13): reads outside a transaction, the orjson
renderer's output, datetimes in plain dicts, querysets compiled once."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from core.api import api_datetime
from core.compiled import CompiledQuery
from core.renderers import ORJSONRenderer
from core.transactions import NonAtomicReadsMiddleware
from forest.models import EnergyDrop
from forest.selectors.energy import _open_drops_query, open_drops_for_user


def _seen_by_view(method: str) -> dict:
    seen: dict = {}

    def view(request):
        seen["atomic"] = transaction.get_connection().in_atomic_block
        return "answer"

    middleware = NonAtomicReadsMiddleware(lambda request: None)
    request = getattr(RequestFactory(), method.lower())("/anything")
    seen["returned"] = middleware.process_view(request, view, (), {})
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_read_runs_outside_any_transaction(method):
    assert _seen_by_view(method) == {"atomic": False, "returned": "answer"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_is_left_to_atomic_requests(method):
    # None: Django goes on and wraps the view in transaction.atomic (ATOMIC_REQUESTS).
    assert _seen_by_view(method) == {"returned": None}


@pytest.mark.django_db(transaction=True)
def test_a_write_through_the_api_still_runs_in_a_transaction(mocker):
    from forest.api import energy

    seen = {}

    def collect_all(*, user_id):
        seen["atomic"] = transaction.get_connection().in_atomic_block
        raise energy.EnergyOnHold()

    mocker.patch.object(energy, "drops_collect_all", collect_all)
    from rest_framework.test import APIClient

    from tests.accounts.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory())
    assert client.post("/api/v1/drops/collect-all").status_code == 403
    assert seen == {"atomic": True}


@pytest.mark.django_db
def test_inside_a_callers_transaction_a_read_gets_a_savepoint():
    # The tests' own transaction: an API error rolls back to the savepoint, not the test's.
    assert _seen_by_view("GET") == {"atomic": True, "returned": "answer"}


class _Sample(serializers.Serializer):
    at = serializers.DateTimeField()


def test_api_datetime_writes_what_drfs_datetime_field_writes():
    for value in (
        dt.datetime(2026, 12, 5, 13, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 5, 13, 0, 1, 250000, tzinfo=dt.UTC),
        timezone.now(),
    ):
        assert api_datetime(value) == _Sample({"at": value}).data["at"]
    assert api_datetime(None) is None


def test_the_orjson_renderer_writes_the_same_json_as_drfs():
    data = {
        "at": dt.datetime(2026, 12, 5, 13, 0, 1, 250000, tzinfo=dt.UTC),
        "day": dt.date(2026, 12, 5),
        "time": dt.time(6, 30),
        "amount": Decimal("12.40"),
        "label": gettext_lazy("Seed"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "name": "Bos aan de Veluwe: ëik, «eik»",
        "nested": [{"a": 1, "b": None, "c": True, "d": 1.5}],
        7: "int key",
    }
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
    assert ORJSONRenderer().render(None) == b""


def test_indented_json_is_still_indented():
    body = ORJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert body == b'{\n  "a": 1\n}'


@pytest.mark.django_db
def test_a_compiled_query_gives_what_the_queryset_gives():
    from tests.forest.fraud_factories import EnergyDropFactory

    now = timezone.now()
    first = EnergyDropFactory()
    user_id = first.user_id
    for hours in (2, 3):
        EnergyDropFactory(user=first.user, ripe_at=now - dt.timedelta(hours=hours))
    EnergyDropFactory(user=first.user, ripe_at=now - dt.timedelta(hours=80))  # expired
    for _round in range(2):  # compiled the first time, reused the second
        expected = list(_open_drops_query(user_id, now))
        got = open_drops_for_user(user_id, now=now)
        assert [d.pk for d in got] == [d.pk for d in expected]
        assert [(d.ripe_at, d.expires_at, d.remaining) for d in got] == [
            (d.ripe_at, d.expires_at, d.remaining) for d in expected
        ]
        assert all(isinstance(d, EnergyDrop) for d in got)
    assert open_drops_for_user(user_id + 10_000, now=now) == []


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_for_its_own_connection():
    from tests.forest.fraud_factories import EnergyDropFactory

    drop = EnergyDropFactory()
    now = timezone.now()
    found: list = []

    def read():
        from django.db import connection

        found.append([d.pk for d in open_drops_for_user(drop.user_id, now=now)])
        connection.close()

    read()
    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert found == [[drop.pk], [drop.pk]]


def test_a_builder_that_ignores_its_argument_is_refused():
    query = CompiledQuery(lambda user_id: EnergyDrop.objects.filter(pk=1))
    with pytest.raises(ValueError, match="does not use argument 0"):
        query.models(5)
