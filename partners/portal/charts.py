"""Inline SVG for the portal: weekly and claim charts, forest outlines, drawn on the server.

The portal must work without internet access or JavaScript, so charts are plain SVG markup
built here. Every text that reaches the markup goes through ``escape``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from partners.selectors.claims import DayCount
    from partners.selectors.portal import WeekPoint


def _nice_max(value: float) -> int:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1), for a readable axis."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exp:
            return int(step * exp)
    return int(10 * exp)  # pragma: no cover


def _grouped(n: int) -> str:
    """1234 as "1,234" in English and "1.234" in Dutch."""
    return number_format(n, force_grouping=True)


# An axis's day label: "12 Oct" in English, "12 okt" in Dutch (Dutch writes months small).
_DAY_MONTH = {"nl": "j b"}


def _day_label(day) -> str:
    return escape(date_format(day, _DAY_MONTH.get((get_language() or "en")[:2], "j M")))


def _text_width(text: str, font_px: float) -> float:
    """A generous estimate of a label's width in a sans-serif font (no font metrics here)."""
    return len(text) * font_px * 0.62


def _label_step(labels: Sequence[str], slot: float, font_px: float, gap: float = 12) -> int:
    """Label every k-th slot, k the smallest that keeps the widest label clear of the next."""
    widest = max((_text_width(t, font_px) for t in labels), default=0)
    return max(1, math.ceil((widest + gap) / slot)) if slot > 0 else 1


def _axis_label(x: float, y: float, text: str, *, width: float, font_px: float) -> str:
    """One axis label centred under its slot, but kept inside 0..width at the edges."""
    half = _text_width(text, font_px) / 2
    if x - half < 0:
        return f'<text x="0" y="{y}" text-anchor="start">{text}</text>'
    if x + half > width:
        return f'<text x="{width}" y="{y}" text-anchor="end">{text}</text>'
    return f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{text}</text>'


def weekly_chart_svg(
    points: Sequence[WeekPoint], *, colour: str = "#2e7d32", width: int = 720, height: int = 260
) -> SafeString:
    """Bars: trees funded per week (left axis); line: campaign grams per week (right axis)."""
    left, right, top, bottom = 48, 64, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    slot = plot_w / n
    # A multiple of 4, so that the five gridlines of the trees axis fall on whole trees.
    trees_max = max(4, math.ceil(max((p.trees_funded for p in points), default=0) / 4) * 4)
    grams_max = _nice_max(max((p.campaign_grams for p in points), default=0))
    colour = escape(colour)
    trees_word = escape(_("trees funded"))
    grams_word = escape(_("campaign grams"))
    bars_legend = escape(_("Trees funded (left axis)"))
    line_legend = escape(_("Campaign energy in grams (right axis)"))

    def y_trees(v: float) -> float:
        return top + plot_h - v / trees_max * plot_h

    def y_grams(v: float) -> float:
        return top + plot_h - v / grams_max * plot_h

    title = _("Trees funded and campaign energy per week, last %(n)s weeks") % {"n": len(points)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<g font-size="11" fill="#5f6f64">',
    ]
    for i in range(5):
        frac = i / 4
        y = top + plot_h - frac * plot_h
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e9e2"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_grouped(round(trees_max * frac))}</text>"
        )
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}">'
            f"{_grouped(round(grams_max * frac))}</text>"
        )
    line = []
    week_step = _label_step([_day_label(p.week) for p in points], slot, 11)
    for i, p in enumerate(points):
        x = left + i * slot
        bar_h = p.trees_funded / trees_max * plot_h
        label = _day_label(p.week)
        parts.append(
            f'<rect class="bar" x="{x + slot * 0.2:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.6:.1f}" height="{bar_h:.1f}" fill="{colour}" opacity="0.85">'
            f"<title>{label}: {p.trees_funded} {trees_word}</title></rect>"
        )
        if (n - 1 - i) % week_step == 0:
            parts.append(
                _axis_label(x + slot / 2, top + plot_h + 16, label, width=width, font_px=11)
            )
        line.append((x + slot / 2, y_grams(p.campaign_grams), label, p.campaign_grams))
    if line:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _l, _g in line)
        parts.append(
            f'<polyline class="grams" points="{path}" fill="none" stroke="#f29f05" '
            f'stroke-width="2.5"/>'
        )
        for x, y, label, grams in line:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#f29f05">'
                f"<title>{label}: {_grouped(grams)} {grams_word}</title></circle>"
            )
    legend_y = height - 10
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="12" height="10" fill="{colour}"/>'
        f'<text x="{left + 18}" y="{legend_y}">{bars_legend}</text>'
        f'<line x1="{left + 230}" x2="{left + 248}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
        f'stroke="#f29f05" stroke-width="2.5"/>'
        f'<text x="{left + 254}" y="{legend_y}">{line_legend}</text>'
    )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # all interpolated text is escaped above


def _rings(geometry: dict) -> list[Sequence[Sequence[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry.get("coordinates") or [])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]
    return []


def area_outline_svg(
    geometry: dict, *, colour: str = "#2e7d32", width: int = 180, height: int = 140
) -> SafeString:
    """The forest's GeoJSON area as an outline, north up, longitudes shrunk by cos(latitude)."""
    rings = [r for r in _rings(geometry or {}) if len(r) >= 3]
    points = [(float(p[0]), float(p[1])) for r in rings for p in r]
    if not points:
        return mark_safe("")
    mid_lat = (min(p[1] for p in points) + max(p[1] for p in points)) / 2
    kx = math.cos(math.radians(mid_lat))
    xs = [lon * kx for lon, _lat in points]
    ys = [lat for _lon, lat in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    pad = 8
    scale = min((width - 2 * pad), (height - 2 * pad)) / span
    ox = pad + ((width - 2 * pad) - (max(xs) - min(xs)) * scale) / 2
    oy = pad + ((height - 2 * pad) - (max(ys) - min(ys)) * scale) / 2

    def xy(lon: float, lat: float) -> str:
        x = ox + (lon * kx - min(xs)) * scale
        y = oy + (max(ys) - lat) * scale
        return f"{x:.1f},{y:.1f}"

    d = " ".join(
        "M" + " L".join(xy(float(p[0]), float(p[1])) for p in ring) + " Z" for ring in rings
    )
    colour = escape(colour)
    title = escape(_("Outline of the forest area"))
    return mark_safe(  # numbers and escaped text only
        f'<svg xmlns="http://www.w3.org/2000/svg" class="outline" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{title}</title>"
        f'<path d="{d}" fill="{colour}" fill-opacity="0.18" stroke="{colour}" '
        f'stroke-width="2" fill-rule="evenodd"/></svg>'
    )


def redemptions_chart_svg(
    days: list[DayCount], *, colour: str, width: int = 600, height: int = 120
) -> SafeString:
    """Bars: codes redeemed per day. Numbers and escaped text only."""
    left, top, bottom = 8, 8, 20
    plot_w, plot_h = width - 2 * left, height - top - bottom
    peak = max((d.redeemed for d in days), default=0) or 1
    slot = plot_w / max(len(days), 1)
    title = _("Codes redeemed per day, last %(n)s days") % {"n": len(days)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart claims-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="claims-chart-title">',
        f'<title id="claims-chart-title">{escape(title)}</title>',
        '<g font-size="10" fill="#5f6f64">',
    ]
    labels = [_day_label(d.day) for d in days]
    # Counted back from the last day, so today is always labelled and the spacing is even.
    step = _label_step(labels, slot, font_px=10)
    last = len(days) - 1
    for i, d in enumerate(days):
        bar_h = d.redeemed / peak * plot_h
        x = left + i * slot
        label = labels[i]
        parts.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{escape(colour)}">'
            f"<title>{label}: {_grouped(d.redeemed)}</title></rect>"
        )
        if (last - i) % step == 0:
            parts.append(_axis_label(x + slot / 2, height - 6, label, width=width, font_px=10))
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # all interpolated text is escaped above
