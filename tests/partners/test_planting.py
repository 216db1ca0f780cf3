"""Planting partners: the adapters, the batch submission and the order lifecycle."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from catalogue.models import PlantingPartner
from forest.models import Tree
from partners.integrations.planting_partners import (
    HttpPlantingPartner,
    PlantingPartnerError,
    PlantingRequest,
    SandboxPlantingPartner,
)
from partners.models import ForestBudgetEntry, PlantingOrder
from partners.services.planting_orders import (
    PlantingOrderStateError,
    forest_budget_available,
    planting_order_reserve,
    planting_order_transition,
    planting_orders_submit,
)
from partners.tasks import planting_orders_submit_task
from tests.forest.tree_factories import BrandForestFactory, PlantingPartnerFactory, TreeFactory

RECORDED = Path(__file__).parent / "recorded"
REQUEST = PlantingRequest(
    idempotency_key="7f0c4a52-0d55-4c2b-9a43-2f1f5c3c1e0b",
    species_code="zomereik",
    species_latin="Quercus robur",
    forest_name="Amsterdamse Bos",
)


class Replay:
    """A transport that answers from a recorded response and remembers what it was sent."""

    def __init__(self, status: int, body: bytes = b"", *, raises: Exception | None = None):
        self.status, self.body, self.raises = status, body, raises
        self.calls: list[dict] = []

    def __call__(self, method, url, headers, body, timeout):
        self.calls.append(
            {"method": method, "url": url, "headers": headers, "body": json.loads(body)}
        )
        if self.raises:
            raise self.raises
        return self.status, self.body


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


# --- adapters ------------------------------------------------------------------------------


def test_sandbox_reference_is_deterministic_per_key():
    sandbox = SandboxPlantingPartner()
    first = sandbox.submit(REQUEST)
    assert first.reference.startswith("SBX-")
    assert sandbox.submit(REQUEST).reference == first.reference
    other = PlantingRequest(**{**REQUEST.__dict__, "idempotency_key": "another"})
    assert sandbox.submit(other).reference != first.reference


def test_http_adapter_posts_with_idempotency_key_and_bearer_token():
    transport = Replay(201, recorded("ecologi_purchase_trees_201.json"))
    adapter = HttpPlantingPartner(
        base_url="https://partner.test/", api_key="k-123", transport=transport
    )
    result = adapter.submit(REQUEST)
    assert result.reference == "https://ecologi.com/test?tree=604a74856345f7001caff578"
    (call,) = transport.calls
    assert call["method"] == "POST"
    assert call["url"] == "https://partner.test/impact/trees"
    assert call["headers"]["Idempotency-Key"] == REQUEST.idempotency_key
    assert call["headers"]["Authorization"] == "Bearer k-123"
    assert call["body"]["number"] == 1


@pytest.mark.parametrize(
    ("transport", "transient"),
    [
        (Replay(500, b"oops"), True),
        (Replay(503, b""), True),
        (Replay(429, b""), True),
        (Replay(0, raises=TimeoutError("timed out")), True),
        (Replay(0, raises=TimeoutError()), True),
        (Replay(200, b"not json"), True),
        (Replay(400, recorded("ecologi_error_400.json")), False),
        (Replay(401, b'{"message": "Unauthorized"}'), False),
    ],
)
def test_http_adapter_errors_say_whether_to_retry(transport, transient):
    adapter = HttpPlantingPartner(base_url="https://partner.test", api_key="k", transport=transport)
    with pytest.raises(PlantingPartnerError) as exc:
        adapter.submit(REQUEST)
    assert exc.value.transient is transient


# --- submission ----------------------------------------------------------------------------


def make_order(**forest_kwargs) -> PlantingOrder:
    forest = BrandForestFactory(**forest_kwargs)
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    reservation = planting_order_reserve(tree=tree, forest_id=forest.id)
    assert reservation.funded
    return reservation.order


@pytest.mark.django_db
def test_submit_funds_requested_orders_and_turns_the_reservation_into_a_spend():
    order = make_order(price_per_tree=Decimal("0.60"), budget="5.00")
    other = make_order(planting_partner=order.partner, budget="5.00")

    result = planting_orders_submit(order.partner_id)

    assert (result.funded, result.failed) == (2, 0)
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.FUNDED
    assert order.provider_reference.startswith("SBX-")
    assert order.submit_attempts == 1
    kinds = list(
        ForestBudgetEntry.objects.filter(order=order).order_by("id").values_list("kind", "amount")
    )
    assert kinds == [
        ("reserve", Decimal("-0.60")), ("release", Decimal("0.60")), ("spend", Decimal("-0.60")),
    ]  # fmt: skip
    assert forest_budget_available(order.forest_id) == Decimal("4.40")
    assert list(order.events.values_list("to_state", flat=True)) == ["requested", "funded"]
    other.refresh_from_db()
    assert other.state == PlantingOrder.State.FUNDED
    # A second run finds nothing left to send.
    assert planting_orders_submit(order.partner_id).funded == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "transport",
    [Replay(500, b"Internal Server Error"), Replay(0, raises=TimeoutError("timed out"))],
)
def test_a_partner_timeout_or_500_keeps_the_order_requested(monkeypatch, transport):
    partner = PlantingPartnerFactory(
        kind=PlantingPartner.Kind.HTTP, api_base_url="https://partner.test",
        api_key_env="CANOPY_TEST_PARTNER_KEY",
    )  # fmt: skip
    order = make_order(planting_partner=partner)
    monkeypatch.setenv("CANOPY_TEST_PARTNER_KEY", "k-1")
    monkeypatch.setattr("partners.integrations.planting_partners.urllib_transport", transport)

    result = planting_orders_submit(partner.id)

    assert (result.funded, result.failed) == (0, 1)
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.REQUESTED
    assert order.submit_attempts == 1
    assert order.last_error
    assert order.events.last().note.startswith("submit failed (will retry)")
    assert not ForestBudgetEntry.objects.filter(kind="spend").exists()
    assert transport.calls[0]["headers"]["Idempotency-Key"] == str(order.idempotency_key)
    assert transport.calls[0]["headers"]["Authorization"] == "Bearer k-1"


@pytest.mark.django_db
def test_a_retry_after_a_failure_sends_the_same_idempotency_key(monkeypatch):
    partner = PlantingPartnerFactory(kind="http", api_base_url="https://partner.test")
    order = make_order(planting_partner=partner)
    failing = Replay(502, b"")
    monkeypatch.setattr("partners.integrations.planting_partners.urllib_transport", failing)
    planting_orders_submit(partner.id)
    working = Replay(201, recorded("ecologi_purchase_trees_201.json"))
    monkeypatch.setattr("partners.integrations.planting_partners.urllib_transport", working)
    assert planting_orders_submit(partner.id).funded == 0  # backing off
    later = timezone.now() + timedelta(minutes=6)
    assert planting_orders_submit(partner.id, now=later).funded == 1
    keys = {c["headers"]["Idempotency-Key"] for c in failing.calls + working.calls}
    assert keys == {str(order.idempotency_key)}
    order.refresh_from_db()
    assert (order.state, order.submit_attempts) == ("funded", 2)


@pytest.mark.django_db
def test_the_task_submits_a_partners_orders():
    order = make_order()
    assert planting_orders_submit_task.delay(order.partner_id).get() == 1
    order.refresh_from_db()
    assert order.state == "funded"
    assert planting_orders_submit_task.delay(999_999).get() == 0


@pytest.mark.django_db
def test_submit_selects_orders_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    first = make_order()
    for _ in range(4):
        make_order(planting_partner=first.partner)
    with django_assert_max_num_queries(1):
        list(
            PlantingOrder.objects.filter(partner=first.partner, state="requested")
            .select_related("partner", "forest", "tree__species")
            .order_by("id")
        )
    assert planting_orders_submit(first.partner_id, batch_size=3).funded == 3
    assert planting_orders_submit(first.partner_id, batch_size=3).funded == 2


# --- lifecycle -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_order_lifecycle_to_survival_checked_marks_the_tree_planted():
    order = make_order()
    planting_orders_submit(order.partner_id)
    planting_order_transition(order_id=order.id, to_state="planted", note="planted in season")
    planting_order_transition(order_id=order.id, to_state="verified")
    planting_order_transition(order_id=order.id, to_state="survival_checked", note="year 1")
    order.refresh_from_db()
    assert order.planted_at and order.verified_at
    assert list(order.events.values_list("to_state", flat=True)) == [
        "requested", "funded", "planted", "verified", "survival_checked",
    ]  # fmt: skip
    tree = Tree.objects.get(pk=order.tree_id)
    assert tree.status == Tree.Status.PLANTED
    assert tree.certificate.number.startswith("CNP-")


@pytest.mark.django_db
def test_illegal_transitions_are_refused():
    order = make_order()
    with pytest.raises(PlantingOrderStateError):
        planting_order_transition(order_id=order.id, to_state="planted")
    order.refresh_from_db()
    assert order.state == "requested"


@pytest.mark.django_db
def test_cancelling_a_requested_order_releases_its_reservation():
    order = make_order(budget="1.00")
    assert forest_budget_available(order.forest_id) == Decimal("0")
    planting_order_transition(order_id=order.id, to_state="cancelled", note="partner left")
    assert forest_budget_available(order.forest_id) == Decimal("1.00")
    # The tree can be funded again.
    tree = Tree.objects.get(pk=order.tree_id)
    assert planting_order_reserve(tree=tree, forest_id=order.forest_id).funded


@pytest.mark.django_db
def test_the_fan_out_task_submits_every_partner_with_requested_orders():
    from partners.tasks import planting_orders_submit_all_task

    a, b = make_order(), make_order()
    PlantingPartner.objects.filter(pk=b.partner_id).update(is_active=False)
    assert planting_orders_submit_all_task.delay().get() == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == ("funded", "requested")
