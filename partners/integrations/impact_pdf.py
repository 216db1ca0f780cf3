"""The monthly impact report as a PDF (ReportLab): one page, figures in the reader's language.

Trees and survival only: the report makes no claim about emissions, so it never speaks of
offsets or credits. Uncompressed and invariant, so the same month gives the same bytes and
tests can read its text.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

if TYPE_CHECKING:
    from partners.selectors.impact import ImpactMonth


def _n(value) -> str:
    return number_format(value, force_grouping=True)


def _money(value) -> str:
    return number_format(value, decimal_pos=2, force_grouping=True)


def impact_report_pdf(report: ImpactMonth, *, sponsor_name: str, brand_colour: str) -> bytes:
    forest = report.forest
    month_label = date_format(report.month.first_day, "YEAR_MONTH_FORMAT")
    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=_("Impact report %(forest)s, %(month)s")
        % {"forest": forest.name, "month": month_label},
        author="Canopy",
        invariant=1,
        pageCompression=0,
    )
    rows = [
        [_("This month"), ""],
        [_("Trees funded"), _n(report.funded)],
        [_("Trees planted"), _n(report.planted)],
        [_("Trees verified by a photo"), _n(report.verified)],
        [_("Survival checks: alive"), _n(report.checks_alive)],
        [_("Survival checks: found dead"), _n(report.checks_dead)],
        [_("At the end of the month"), ""],
        [_("Trees funded"), _n(report.funded_total)],
        [_("Trees planted"), _n(report.planted_total)],
        [_("Trees surviving"), _n(report.surviving_total)],
        [_("Participants"), _n(report.participants_total)],
        [_("Budget"), ""],
        [_("Opening balance"), f"{_money(report.budget_opening)} {forest.currency}"],
        [_("Closing balance"), f"{_money(report.budget_closing)} {forest.currency}"],
    ]
    headings = {0, 6, 11}
    table = Table(rows, colWidths=[110 * mm, 50 * mm])
    style: list = [
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#e3e9e2")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for row in headings:
        style += [
            ("FONTNAME", (0, row), (-1, row), "Helvetica-Bold"),
            ("TEXTCOLOR", (0, row), (-1, row), colors.HexColor(brand_colour)),
        ]
    table.setStyle(TableStyle(style))
    story = [
        Paragraph(_("Impact report"), styles["Title"]),
        Paragraph(f"{forest.name} · {sponsor_name} · {month_label}", styles["Heading2"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 8 * mm),
        Paragraph(
            _(
                "Surviving trees are planted trees minus those a survival check found dead. "
                "Every tree is planted by the forest's planting partner and verified with a "
                "photo taken in the forest."
            ),
            styles["BodyText"],
        ),
    ]
    doc.build(story)
    return buf.getvalue()
