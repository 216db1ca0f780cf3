"""Portal pages for claim codes: create a batch, download its codes once, follow redemptions.

Scoped like every portal page (portal.base.portal_context): another sponsor's batch is a 404;
analysts see the batches and their counts, only administrators create and download.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from partners.portal.base import csv_response, portal_context, require_admin
from partners.portal.charts import redemptions_chart_svg
from partners.portal.forms import ClaimBatchForm
from partners.selectors.claims import (
    batch_redemptions_by_day,
    batch_totals,
    sponsor_batch,
    sponsor_batches,
)
from partners.services import claims


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@login_required
@require_GET
def batch_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="claims")
    ctx["batches"] = sponsor_batches(ctx["sponsor"])
    return render(request, "partners/claim_batch_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def batch_create(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="claims")
    require_admin(ctx)
    sponsor = ctx["sponsor"]
    today = timezone.localdate()
    initial = {"valid_from": today, "valid_until": today + timedelta(days=90)}
    form = ClaimBatchForm(request.POST or None, sponsor=sponsor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = claims.claim_batch_create(
                sponsor=sponsor,
                campaign=data["campaign"],
                name=data["name"],
                grams_per_code=data["grams_per_code"],
                code_count=data["code_count"],
                valid_from=_day_start(data["valid_from"]),
                valid_until=_day_start(data["valid_until"] + timedelta(days=1)),
                created_by=cast(User, request.user),  # login_required
            )
        except claims.ClaimBatchError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Batch “%(name)s” created. Download its codes now: they are shown only once.")
                % {"name": batch.name},
            )
            return redirect("partners:claim_batch", slug=slug, batch_id=batch.pk)
    ctx.update(
        form=form,
        title=_("New batch of claim codes"),
        back_url=reverse("partners:claims", args=[slug]),
        back_label=_("Claim codes"),
        intro=_(
            "Up to %(codes)s codes of at most %(grams)s g each. The batch reserves grams per "
            "code × number of codes from the campaign's budget right away; you download the "  # noqa: RUF001
            "codes once, as CSV."
        )
        % {
            "codes": localize(claims.CODES_PER_BATCH_MAX),
            "grams": localize(claims.GRAMS_PER_CODE_MAX),
        },
        submit_label=_("Create batch"),
    )
    return render(request, "partners/form_page.html", ctx)


@login_required
@require_GET
def batch_detail(request: HttpRequest, slug: str, batch_id: int) -> HttpResponse:
    ctx = portal_context(request, slug, section="claims")
    batch = sponsor_batch(ctx["sponsor"], batch_id)
    days = batch_redemptions_by_day(batch)
    ctx.update(
        batch=batch,
        totals=batch_totals(batch),
        days=days,
        chart=redemptions_chart_svg(days, colour=ctx["sponsor"].brand_colour),
        can_download=batch.downloaded_at is None and bool(batch.code_seed),
        can_release=batch.released_at is None
        and timezone.now() >= batch.valid_until + claims.RELEASE_GRACE,
    )
    return render(request, "partners/claim_batch_detail.html", ctx)


@login_required
@require_POST
def batch_codes_csv(request: HttpRequest, slug: str, batch_id: int) -> HttpResponseBase:
    """The codes in plain text, once. A second request gets the batch page and a message."""
    ctx = portal_context(request, slug, section="claims")
    require_admin(ctx)
    batch = sponsor_batch(ctx["sponsor"], batch_id)  # 404 for another sponsor's
    download = claims.claim_batch_download(
        batch_id=batch.pk, sponsor=ctx["sponsor"], user=cast(User, request.user)
    )
    if download is None:
        messages.error(
            request, _("These codes were downloaded already; only the counts are shown now.")
        )
        return redirect("partners:claim_batch", slug=slug, batch_id=batch.pk)
    response = csv_response(
        claims.claim_batch_csv_rows(download), f"{ctx['sponsor'].slug}-claim-codes-{batch.pk}.csv"
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def batch_release(request: HttpRequest, slug: str, batch_id: int) -> HttpResponse:
    ctx = portal_context(request, slug, section="claims")
    require_admin(ctx)
    try:
        grams = claims.claim_batch_release_unused(batch_id=batch_id, sponsor=ctx["sponsor"])
    except claims.ClaimBatchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(grams)s g went back to the campaign's budget.") % {"grams": grams},
        )
    return redirect("partners:claim_batch", slug=slug, batch_id=batch_id)
