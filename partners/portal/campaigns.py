"""Portal pages for a sponsor's campaigns: list, detail with energy per day, create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from catalogue.models import Campaign
from core.locks import lock_rows
from partners.portal.base import portal_context, require_admin
from partners.portal.forms import CampaignForm
from partners.selectors import portal as sel

_CAMPAIGN_INTRO = gettext_lazy(
    "A campaign gives bonus energy for purchases at your stores (merchants, MCCs) or of your "
    "products (description pattern). Give at least one matcher, and a bonus or a multiplier "
    "above 1."
)


def _form_page(ctx: dict, slug: str, *, editing: bool) -> dict:
    """The texts of the shared form page (partners/form_page.html) for a campaign."""
    title = _("Edit campaign") if editing else _("New campaign")
    return {
        **ctx,
        "title": title,
        "back_url": reverse("partners:campaigns", args=[slug]),
        "back_label": _("Campaigns"),
        "intro": _CAMPAIGN_INTRO,
        "submit_label": _("Save campaign"),
    }


@login_required
@require_GET
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="campaigns")
    ctx["campaigns"] = sel.sponsor_campaigns(ctx["sponsor"])
    return render(request, "partners/campaign_list.html", ctx)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    ctx = portal_context(request, slug, section="campaigns")
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
    ctx = portal_context(request, slug, section="campaigns")
    require_admin(ctx)
    form = CampaignForm(request.POST or None, instance=Campaign(sponsor=ctx["sponsor"]))
    if request.method == "POST" and form.is_valid():
        campaign = form.save()
        messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
        return redirect("partners:campaign", slug=slug, campaign_id=campaign.pk)
    ctx["form"] = form
    return render(request, "partners/form_page.html", _form_page(ctx, slug, editing=False))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    ctx = portal_context(request, slug, section="campaigns")
    require_admin(ctx)
    campaign = sel.sponsor_campaign(ctx["sponsor"], campaign_id)
    if request.method == "POST":
        with transaction.atomic():
            # Scoring raises spent_grams under this row's lock: lock it too, validate the new
            # budget against the current spend, and never write spent_grams back.
            campaign = lock_rows(Campaign.objects).get(pk=campaign.pk)
            form = CampaignForm(request.POST, instance=campaign)
            if form.is_valid():
                campaign = form.save(commit=False)
                campaign.save(update_fields=[*CampaignForm.Meta.fields, "updated_at"])
                messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign.name})
                return redirect("partners:campaign", slug=slug, campaign_id=campaign.pk)
    else:
        form = CampaignForm(instance=campaign)
    ctx.update(form=form, campaign=campaign)
    return render(request, "partners/form_page.html", _form_page(ctx, slug, editing=True))
