"""The partner portal: server-rendered pages for sponsor brands.

Every page is scoped to a sponsor the signed-in user is a member of (404 for any other
sponsor or for another sponsor's objects). Analysts read; only administrators edit.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from catalogue.models import Campaign, SponsorMembership
from partners.portal_forms import CampaignForm
from partners.portal_svg import area_outline_svg, weekly_chart_svg
from partners.selectors import portal as sel
from partners.selectors.sponsors import sponsor_for_member, sponsors_for_member


class PortalLoginView(auth_views.LoginView):
    template_name = "partners/login.html"
    redirect_authenticated_user = True


def _context(request: HttpRequest, slug: str, **extra) -> dict:
    sponsor = sel.sponsor_with_role(request.user, slug)
    return {
        "sponsor": sponsor,
        "can_edit": sponsor.member_role == SponsorMembership.Role.ADMIN,
        **extra,
    }


def _require_admin(ctx: dict) -> None:
    if not ctx["can_edit"]:
        raise PermissionDenied(_("Analysts have read-only access."))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    sponsors = sponsors_for_member(request.user)
    if len(sponsors) == 1:
        return redirect("partners:sponsor", slug=sponsors[0].slug)
    return render(request, "partners/dashboard.html", {"sponsors": sponsors})


@login_required
@require_GET
def sponsor_overview(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = _context(request, slug, section="overview")
    sponsor = ctx["sponsor"]
    weeks = sel.sponsor_weekly_series(sponsor)
    ctx.update(
        figures=sel.sponsor_figures(sponsor),
        weeks=weeks,
        chart=weekly_chart_svg(weeks, colour=sponsor.brand_colour),
    )
    return render(request, "partners/sponsor_overview.html", ctx)


@login_required
@require_GET
def forest_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = _context(request, slug, section="forests")
    ctx["forests"] = sel.sponsor_forests_with_figures(ctx["sponsor"])
    return render(request, "partners/forest_list.html", ctx)


@login_required
@require_GET
def forest_detail(request: HttpRequest, slug: str, forest_id: int) -> HttpResponse:
    ctx = _context(request, slug, section="forests")
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


@login_required
@require_GET
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = _context(request, slug, section="campaigns")
    ctx["campaigns"] = sel.sponsor_campaigns(ctx["sponsor"])
    return render(request, "partners/campaign_list.html", ctx)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    ctx = _context(request, slug, section="campaigns")
    campaign = sel.sponsor_campaign(ctx["sponsor"], campaign_id)
    days = sel.campaign_energy_by_day(campaign)
    ctx.update(
        campaign=campaign,
        days=days,
        total_actions=sum(d.actions for d in days),
        total_grams=sum(d.grams for d in days),
        max_grams=max((d.grams for d in days), default=0),
    )
    return render(request, "partners/campaign_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = _context(request, slug, section="campaigns")
    _require_admin(ctx)
    form = CampaignForm(request.POST or None, instance=Campaign(sponsor=ctx["sponsor"]))
    if request.method == "POST" and form.is_valid():
        campaign = form.save()
        messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
        return redirect("partners:campaign", slug=slug, campaign_id=campaign.pk)
    ctx["form"] = form
    return render(request, "partners/campaign_form.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    ctx = _context(request, slug, section="campaigns")
    _require_admin(ctx)
    campaign = sel.sponsor_campaign(ctx["sponsor"], campaign_id)
    if request.method == "POST":
        with transaction.atomic():
            # Scoring raises spent_grams under this row's lock: lock it too, validate the new
            # budget against the current spend, and never write spent_grams back.
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            form = CampaignForm(request.POST, instance=campaign)
            if form.is_valid():
                campaign = form.save(commit=False)
                campaign.save(update_fields=[*CampaignForm.Meta.fields, "updated_at"])
                messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign.name})
                return redirect("partners:campaign", slug=slug, campaign_id=campaign.pk)
    else:
        form = CampaignForm(instance=campaign)
    ctx.update(form=form, campaign=campaign)
    return render(request, "partners/campaign_form.html", ctx)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


def _csv_response(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def report_trees_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    sponsor = sponsor_for_member(request.user, slug)
    return _csv_response(sel.trees_report_rows(sponsor), f"{sponsor.slug}-trees.csv")


@login_required
@require_GET
def report_campaigns_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    sponsor = sponsor_for_member(request.user, slug)
    return _csv_response(sel.campaigns_report_rows(sponsor), f"{sponsor.slug}-campaigns.csv")
