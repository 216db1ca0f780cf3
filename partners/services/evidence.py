"""Evidence that a tree was planted, and the yearly checks that it survives.

Photos come from planting partners and are untrusted: each is sanitised (re-encoded, metadata
stripped except time and GPS), must have been taken inside the forest's area, and must not be
a near-duplicate of a photo the same partner sent before (a reused photo is not evidence).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from catalogue.integrations.geo import point_in_geojson
from core.locks import lock_rows
from forest.services.tree_notices import tree_survival_notify
from partners.integrations.photos import PhotoRejected, is_near_duplicate, sanitise_photo
from partners.models import PlantingEvidence, PlantingOrder, SurvivalCheck
from partners.services.planting_orders import planting_order_transition


class EvidenceRejected(Exception):
    """The photo is not acceptable evidence; str(exc) is safe to show to the partner."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


_EVIDENCE_STATES = {
    PlantingOrder.State.PLANTED,
    PlantingOrder.State.VERIFIED,
    PlantingOrder.State.SURVIVAL_CHECKED,
}


@transaction.atomic
def planting_evidence_add(*, order_id: int, data: bytes) -> PlantingEvidence:
    """Accept one photo for a planted order; the first accepted photo verifies the order."""
    order = lock_rows(PlantingOrder.objects.select_related("forest")).get(pk=order_id)
    if order.state not in _EVIDENCE_STATES:
        raise EvidenceRejected(_("The order is not planted yet."), code="not_planted")
    try:
        photo = sanitise_photo(data)
    except PhotoRejected as exc:
        raise EvidenceRejected(
            _("Unusable photo: %(reason)s") % {"reason": exc}, code="bad_photo"
        ) from exc
    if photo.latitude is None or photo.longitude is None:
        raise EvidenceRejected(_("The photo has no GPS position."), code="no_gps")
    if not point_in_geojson(photo.latitude, photo.longitude, order.forest.area):
        raise EvidenceRejected(
            _("The photo was taken outside %(forest)s.") % {"forest": order.forest.name},
            code="outside_forest",
        )
    # A partner's photos number in the thousands at most; comparing 16-hex hashes in Python
    # takes milliseconds. Hamming distance cannot use a B-tree index anyway.
    earlier = PlantingEvidence.objects.filter(order__partner_id=order.partner_id).values_list(
        "dhash", "order_id"
    )
    for other_hash, other_order in earlier:
        if is_near_duplicate(photo.dhash, other_hash):
            raise EvidenceRejected(
                _("This photo was already used as evidence (order %(order)s).")
                % {"order": other_order},
                code="duplicate_photo",
            )
    evidence = PlantingEvidence(
        order=order,
        width=photo.width,
        height=photo.height,
        taken_at=photo.taken_at,
        latitude=photo.latitude,
        longitude=photo.longitude,
        dhash=photo.dhash,
        sha256=photo.sha256,
    )
    evidence.photo.save(
        f"order-{order.id}-{photo.sha256[:12]}.jpg", ContentFile(photo.jpeg), save=False
    )
    evidence.save()
    if order.state == PlantingOrder.State.PLANTED:
        planting_order_transition(
            order_id=order.id, to_state=PlantingOrder.State.VERIFIED, note=f"evidence {evidence.pk}"
        )
    return evidence


@transaction.atomic
def partner_order_report_planted(
    *,
    partner_id: int,
    order_id: int,
    photo: bytes,
    latitude: float,
    longitude: float,
    planted_at: datetime | None = None,
) -> PlantingEvidence:
    """A partner reports a funded order planted at (latitude, longitude), with a photo.

    All or nothing: the position must lie inside the forest and the photo must pass every
    evidence rule, or the order stays funded and nothing is stored. An order planted already
    takes further photos. Another partner's order is indistinguishable from none.
    """
    order = (
        lock_rows(PlantingOrder.objects.select_related("forest"))
        .filter(pk=order_id, partner_id=partner_id)
        .first()
    )
    if order is None:
        raise PlantingOrder.DoesNotExist
    if not point_in_geojson(latitude, longitude, order.forest.area):
        raise EvidenceRejected(
            _("The position %(latitude).5f, %(longitude).5f is outside %(forest)s.")
            % {"latitude": latitude, "longitude": longitude, "forest": order.forest.name},
            code="outside_forest",
        )
    if order.state == PlantingOrder.State.FUNDED:
        planting_order_transition(
            order_id=order.id,
            to_state=PlantingOrder.State.PLANTED,
            note="reported through the partner API",
            at=planted_at,
            planted_latitude=latitude,
            planted_longitude=longitude,
        )
    elif order.state not in _EVIDENCE_STATES:
        raise EvidenceRejected(_("The order is not funded yet."), code="not_funded")
    return planting_evidence_add(order_id=order.id, data=photo)


def partner_survival_check_record(
    *, partner_id: int, order_id: int, year: int, alive: bool, checked_on: date, note: str = ""
) -> SurvivalCheck:
    """``survival_check_record`` for one of the partner's own orders."""
    if not PlantingOrder.objects.filter(pk=order_id, partner_id=partner_id).exists():
        raise PlantingOrder.DoesNotExist
    return survival_check_record(
        order_id=order_id, year=year, alive=alive, checked_on=checked_on, note=note
    )


@transaction.atomic
def survival_check_record(
    *, order_id: int, year: int, alive: bool, checked_on: date, note: str = ""
) -> SurvivalCheck:
    """Record year ``year``'s check of a verified order; the first one marks it checked. A
    tree found alive is a moment its people hear of."""
    order = lock_rows(PlantingOrder.objects).get(pk=order_id)
    if order.state not in (PlantingOrder.State.VERIFIED, PlantingOrder.State.SURVIVAL_CHECKED):
        raise EvidenceRejected(
            _("Only verified plantings are survival-checked."), code="not_verified"
        )
    if not 1 <= year <= 5:
        raise EvidenceRejected(_("Survival is checked in years 1 to 5."), code="bad_year")
    check, created = SurvivalCheck.objects.get_or_create(
        order=order,
        year=year,
        defaults={"alive": alive, "checked_on": checked_on, "note": note[:500]},
    )
    if not created:
        raise EvidenceRejected(
            _("Year %(year)s is checked already.") % {"year": year}, code="already_checked"
        )
    if order.state == PlantingOrder.State.VERIFIED:
        planting_order_transition(
            order_id=order.id,
            to_state=PlantingOrder.State.SURVIVAL_CHECKED,
            note=f"year {year}: {'alive' if alive else 'dead'}",
        )
    if alive:
        tree_survival_notify(tree_id=order.tree_id, year=year)
    return check
