"""Portal pages for a sponsor's brand forests: the list and one forest with its budget ledger."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partners.portal.base import portal_context
from partners.portal.charts import area_outline_svg
from partners.selectors import portal as sel


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
    ctx.update(
        forest=forest,
        outline=area_outline_svg(forest.area, colour=ctx["sponsor"].brand_colour),
        species=list(forest.species.order_by("energy_cost_grams", "code")),
        orders_by_state=sel.forest_orders_by_state(forest),
        entries=sel.forest_budget_entries(forest),
        ledger_limit=sel.FOREST_LEDGER_LIMIT,
    )
    return render(request, "partners/forest_detail.html", ctx)
