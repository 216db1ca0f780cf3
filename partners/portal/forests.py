"""Portal pages for a sponsor's brand forests: the list and one forest with its budget ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from partners.models import PlantingOrder
from partners.portal.base import portal_context
from partners.portal.charts import area_outline_svg
from partners.selectors import forest_map
from partners.selectors import portal as sel
from partners.selectors.sponsors import sponsor_for_member


@login_required
@require_GET
def forest_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="forests")
    ctx["forests"] = sel.sponsor_forests_with_figures(ctx["sponsor"])
    return render(request, "partners/forest_list.html", ctx)


@login_required
@require_GET
def forest_detail(request: HttpRequest, slug: str, forest_id: int) -> HttpResponse:
    ctx = portal_context(request, slug, section="forests")
    forest = sel.sponsor_forest(ctx["sponsor"], forest_id)
    orders_by_state, counts = forest_map.forest_orders_and_counts(forest)
    ctx.update(
        forest=forest,
        outline=area_outline_svg(forest.area, colour=ctx["sponsor"].brand_colour),
        species=list(forest.species.order_by("energy_cost_grams", "code")),
        orders_by_state=orders_by_state,
        entries=sel.forest_budget_entries(forest),
        ledger_limit=sel.FOREST_LEDGER_LIMIT,
        counts=counts,
        map_data=_map_data(slug, forest, ctx["sponsor"].brand_colour),
        gallery=_gallery(forest),
        pin_limit=forest_map.MAP_PIN_LIMIT,
        this_month=timezone.localdate(),
    )
    return render(request, "partners/forest_detail.html", ctx)


def _gallery(forest) -> list:
    locale = (get_language() or "en")[:2]
    gallery = forest_map.forest_evidence_gallery(forest)
    for evidence in gallery:
        evidence.species_label = evidence.order.tree.species.name(locale)  # type: ignore[attr-defined]
    return gallery


def map_tiles() -> dict[str, str]:
    """The map's tile source (``CANOPY_MAP_TILE_URL``; empty: no tiles, outline and pins only)."""
    return {
        "url": settings.CANOPY_MAP_TILE_URL,
        "attribution": settings.CANOPY_MAP_TILE_ATTRIBUTION,
    }


def _map_data(slug: str, forest, colour: str) -> dict:
    """What static/portal/forest-map.js draws: the outline, the pins and the tiles (JSON)."""
    nl = (get_language() or "en").startswith("nl")
    labels = dict(PlantingOrder.State.choices)
    pins = []
    for pin in forest_map.forest_map_pins(forest):
        photo = thumb = None
        if pin.photo_id:
            thumb = reverse("partners:evidence_photo", args=[slug, pin.photo_id, "thumb"])
            photo = reverse("partners:evidence_photo", args=[slug, pin.photo_id, "photo"])
        pins.append(
            {
                "lat": pin.latitude,
                "lon": pin.longitude,
                "marker": pin.marker,
                "state": str(labels.get(pin.state, pin.state)),
                "dead": pin.alive is False,
                "species": pin.species_nl if nl else pin.species_en,
                "planted": formats.date_format(pin.planted_on, "SHORT_DATE_FORMAT")
                if pin.planted_on
                else "",
                "thumb": thumb,
                "photo": photo,
            }
        )
    return {"area": forest.area, "colour": colour, "pins": pins, "tiles": map_tiles()}


@login_required
@require_GET
def evidence_photo(request: HttpRequest, slug: str, evidence_id: int, size: str) -> HttpResponse:
    """An evidence photo of the member's own forests, re-encoded without metadata (private)."""
    if size not in forest_map.PHOTO_SIZES:
        raise Http404("No such size.")
    sponsor = sponsor_for_member(request.user, slug)
    evidence = forest_map.sponsor_evidence(sponsor, evidence_id)
    if evidence is None or not evidence.photo:
        raise Http404("No such photo.")
    jpeg = forest_map.evidence_jpeg(evidence, size)
    if jpeg is None:
        raise Http404("No such photo.")
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
