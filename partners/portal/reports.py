"""The portal's CSV reports: a sponsor's trees and campaigns, streamed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from partners.portal.base import csv_response
from partners.selectors import reports
from partners.selectors.sponsors import sponsor_for_member


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
