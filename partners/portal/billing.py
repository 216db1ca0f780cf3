"""Portal pages for money: top-up requests, invoices and each forest's monthly statement.

Scoped like every portal page (portal.base.portal_context): another sponsor's invoice, forest
or statement is a 404; analysts read, only administrators request top-ups.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partners.portal.base import csv_response, portal_context, require_admin
from partners.portal.forms import TopUpForm
from partners.selectors import portal as sel
from partners.selectors.statements import Month, forest_month_statement, forest_statement_csv_rows
from partners.services.billing import (
    PAYMENT_TERM_DAYS,
    TOPUP_MAX,
    TOPUP_MIN,
    InvoiceError,
    invoice_issuer,
    invoice_request,
)

if TYPE_CHECKING:
    from catalogue.models import Sponsor
    from partners.models import Invoice


def _sponsor_invoice(sponsor: Sponsor, number: str) -> Invoice:
    invoice = sponsor.invoices.select_related("forest").filter(number=number).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@login_required
@require_GET
def invoice_list(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="invoices")
    ctx["invoices"] = list(ctx["sponsor"].invoices.select_related("forest"))
    return render(request, "partners/invoice_list.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def topup_request(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="invoices")
    require_admin(ctx)
    sponsor = ctx["sponsor"]
    initial = {"forest": request.GET.get("forest")} if request.GET.get("forest") else None
    form = TopUpForm(request.POST or None, sponsor=sponsor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = invoice_request(
                sponsor=sponsor,
                forest=form.cleaned_data["forest"],
                amount=form.cleaned_data["amount"],
                po_reference=form.cleaned_data["po_reference"],
                requested_by=request.user,
            )
        except InvoiceError as exc:  # the form checks the same limits; belt and braces
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Invoice %(number)s created. The budget grows once it is paid.")
                % {"number": invoice.number},
            )
            return redirect("partners:invoice", slug=slug, number=invoice.number)
    ctx.update(
        form=form,
        title=_("Request a top-up"),
        back_url=reverse("partners:invoices", args=[sponsor.slug]),
        back_label=_("Invoices"),
        intro=_(
            "You get an invoice to pay by bank transfer. Between %(min)s and %(max)s EUR per "
            "top-up; VAT is added on the invoice."
        )
        % {"min": localize(TOPUP_MIN), "max": localize(TOPUP_MAX)},
        submit_label=_("Create invoice"),
    )
    return render(request, "partners/form_page.html", ctx)


@login_required
@require_GET
def invoice_detail(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="invoices")
    invoice = _sponsor_invoice(ctx["sponsor"], number)
    ctx.update(
        invoice=invoice,
        issuer=invoice_issuer(),
        due_on=timezone.localtime(invoice.created_at).date() + timedelta(days=PAYMENT_TERM_DAYS),
        term_days=PAYMENT_TERM_DAYS,
    )
    return render(request, "partners/invoice_detail.html", ctx)


def _month(year: int, month: int) -> Month:
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        raise Http404("No such month.")
    return Month(year, month)


@login_required
@require_GET
def statement_current(request: HttpRequest, slug: str, forest_id: int) -> HttpResponse:
    ctx = portal_context(request, slug)
    sel.sponsor_forest(ctx["sponsor"], forest_id)  # 404 before redirecting anywhere
    month = Month.containing(timezone.localdate())
    return redirect(
        "partners:statement", slug=slug, forest_id=forest_id, year=month.year, month=month.month
    )


@login_required
@require_GET
def statement(request: HttpRequest, slug: str, forest_id: int, year: int, month: int):
    ctx = portal_context(request, slug, section="forests")
    current = _month(year, month)
    forest = sel.sponsor_forest(ctx["sponsor"], forest_id)
    this_month = Month.containing(timezone.localdate())
    ctx.update(
        forest=forest,
        statement=forest_month_statement(forest, current),
        previous=current.previous,
        next=current.next if current.first_day < this_month.first_day else None,
    )
    return render(request, "partners/statement.html", ctx)


@login_required
@require_GET
def statement_csv(
    request: HttpRequest, slug: str, forest_id: int, year: int, month: int
) -> StreamingHttpResponse:
    ctx = portal_context(request, slug)
    current = _month(year, month)
    forest = sel.sponsor_forest(ctx["sponsor"], forest_id)
    return csv_response(
        forest_statement_csv_rows(forest, current),
        f"{ctx['sponsor'].slug}-forest-{forest.pk}-{current}.csv",
    )
