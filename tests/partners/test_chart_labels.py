"""The portal's SVG charts: axis labels that never overlap or leave the chart, and dates and
numbers in the reader's language."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from django.utils import translation

from partners.portal.charts import _text_width, redemptions_chart_svg, weekly_chart_svg
from partners.selectors.claims import DayCount
from partners.selectors.portal import WeekPoint

_TEXT = re.compile(r'<text x="([\d.]+)" y="[\d.]+"(?: text-anchor="(\w+)")?>([^<]*)</text>')


def _axis_labels(svg: str, font_px: float) -> list[tuple[float, float, str]]:
    """(left, right, text) of every bottom-axis label, from its x and anchor."""
    spans = []
    for x, anchor, text in _TEXT.findall(svg):
        width = _text_width(text, font_px)
        left = {"start": 0.0, "end": width, "middle": width / 2}[anchor or "start"]
        spans.append((float(x) - left, float(x) - left + width, text))
    return spans


def _days(n: int, *, peak: int = 1234) -> list[DayCount]:
    start = date(2026, 9, 5)
    return [
        DayCount(day=start + timedelta(days=i), redeemed=peak if i == 3 else i) for i in range(n)
    ]


@pytest.mark.parametrize("n", [7, 14, 30, 60, 90])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_claim_chart_labels_never_overlap_and_stay_inside(n, language):
    with translation.override(language):
        svg = redemptions_chart_svg(_days(n), colour="#2e7d32")
    spans = sorted(_axis_labels(svg, 10))
    assert spans, "the axis has labels"
    for (_l1, right, a), (left, _r2, b) in itertools.pairwise(spans):
        assert right <= left, f"{a!r} overlaps {b!r}"
    assert spans[0][0] >= 0 and spans[-1][1] <= 600
    last_day = _days(n)[-1].day
    month = {"en": "Dec", "nl": "dec"}[language] if last_day.month == 12 else None
    assert spans[-1][2].startswith(f"{last_day.day} ")  # the last day is always labelled
    if month:
        assert spans[-1][2] == f"{last_day.day} {month}"


def test_charts_speak_dutch_dates_and_numbers():
    weeks = [
        WeekPoint(week=date(2026, 10, 5) + timedelta(weeks=i), trees_funded=i, campaign_grams=1234)
        for i in range(12)
    ]
    with translation.override("nl"):
        weekly = weekly_chart_svg(weeks)
        claims = redemptions_chart_svg(_days(30), colour="#2e7d32")
    assert "1.234 " in weekly  # campaign grams, grouped the Dutch way
    assert "12 okt" in weekly and "Okt" not in weekly and "Oct" not in weekly
    assert "sep" in claims and ": 1.234</title>" in claims
    with translation.override("en"):
        assert ": 1,234</title>" in redemptions_chart_svg(_days(30), colour="#2e7d32")


def test_weekly_chart_labels_never_overlap():
    weeks = [
        WeekPoint(week=date(2026, 9, 7) + timedelta(weeks=i), trees_funded=3, campaign_grams=50)
        for i in range(12)
    ]
    svg = weekly_chart_svg(weeks)
    bottom = [s for s in _axis_labels(svg, 11) if re.match(r"\d+ \w{3}$", s[2])]
    assert len(bottom) >= 6
    for (_l1, right, a), (left, _r2, b) in itertools.pairwise(bottom):
        assert right <= left, f"{a!r} overlaps {b!r}"
