"""The portal's CSV reports: a sponsor's trees and campaigns, streamed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from partners.integrations.impact_pdf import impact_report_pdf
from partners.portal.base import csv_response
from partners.selectors import portal as sel
from partners.selectors import reports
from partners.selectors.impact import ImpactMonth, forest_impact_month
from partners.selectors.sponsors import sponsor_for_member
from partners.selectors.statements import Month


@login_required
@require_GET
def report_trees_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    sponsor = sponsor_for_member(request.user, slug)
    return csv_response(reports.trees_report_rows(sponsor), f"{sponsor.slug}-trees.csv")


@login_required
@require_GET
def report_campaigns_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    sponsor = sponsor_for_member(request.user, slug)
    return csv_response(reports.campaigns_report_rows(sponsor), f"{sponsor.slug}-campaigns.csv")


def _impact(request: HttpRequest, slug: str, forest_id: int, year: int, month: int):
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        raise Http404("No such month.")
    sponsor = sponsor_for_member(request.user, slug)
    forest = sel.sponsor_forest(sponsor, forest_id)
    return sponsor, forest_impact_month(forest, Month(year, month))


def _impact_name(sponsor, report: ImpactMonth, ext: str) -> str:
    return f"{sponsor.slug}-forest-{report.forest.pk}-impact-{report.month}.{ext}"


@login_required
@require_GET
def impact_pdf(request: HttpRequest, slug: str, forest_id: int, year: int, month: int):
    """One forest's impact in one month as a PDF: trees funded, planted, verified, surviving."""
    sponsor, report = _impact(request, slug, forest_id, year, month)
    pdf = impact_report_pdf(report, sponsor_name=sponsor.name, brand_colour=sponsor.brand_colour)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_impact_name(sponsor, report, "pdf")}"'
    return response


@login_required
@require_GET
def impact_csv(
    request: HttpRequest, slug: str, forest_id: int, year: int, month: int
) -> StreamingHttpResponse:
    """The same figures as the PDF, one ``figure,value`` row each."""
    sponsor, report = _impact(request, slug, forest_id, year, month)
    rows = [["forest_id", "month", "figure", "value"]]
    rows += [[str(report.forest.pk), str(report.month), k, str(v)] for k, v in report.rows()]
    return csv_response(rows, _impact_name(sponsor, report, "csv"))
