"""Portal sign-in, the sponsor picker and a sponsor's overview page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from partners.portal.base import portal_context
from partners.portal.charts import weekly_chart_svg
from partners.selectors import portal as sel
from partners.selectors.sponsors import sponsors_for_member


class PortalLoginView(auth_views.LoginView):
    template_name = "partners/login.html"
    redirect_authenticated_user = True


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    sponsors = sponsors_for_member(request.user)
    if len(sponsors) == 1:
        return redirect("partners:sponsor", slug=sponsors[0].slug)
    return render(request, "partners/dashboard.html", {"sponsors": sponsors})


@login_required
@require_GET
def sponsor_overview(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="overview")
    sponsor = ctx["sponsor"]
    weeks = sel.sponsor_weekly_series(sponsor)
    ctx.update(
        figures=sel.sponsor_figures(sponsor),
        weeks=weeks,
        chart=weekly_chart_svg(weeks, colour=sponsor.brand_colour),
    )
    return render(request, "partners/sponsor_overview.html", ctx)
