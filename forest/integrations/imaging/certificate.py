"""The planting certificate: a 1600 x 1131 PNG laid out from its facts (English or Dutch)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from PIL import Image, ImageDraw

from forest.integrations.imaging.labels import (
    _LABELS,
    _format_date,
    _Labels,
    _language,
    format_coordinates,
)
from forest.integrations.imaging.logos import _sponsor_logo
from forest.integrations.imaging.png import _encode_png
from forest.integrations.imaging.stages import MAX_STAGE, _stage_image
from forest.integrations.imaging.text import (
    RGB,
    Style,
    _draw_text,
    _ellipsize,
    _fit,
    _text_width,
    _wrap,
)

CERTIFICATE_SIZE = (1600, 1131)

# Palette and geometry of the certificate (1600 x 1131).
_W, _H = CERTIFICATE_SIZE
_PAPER: RGB = (250, 247, 238)
_GREEN: RGB = (31, 84, 52)
_GOLD: RGB = (176, 141, 87)
_INK: RGB = (40, 40, 40)
_MUTED: RGB = (110, 110, 100)
_RULE: RGB = (214, 205, 182)
_NAMES_BOX = (140, 280, _W - 140, 415)  # x0, y0, x1, y1 of the holder names block
_TREE_BOX = (110, 490, 420)  # x, y, side of the tree drawing
_ROWS_X, _ROWS_RIGHT, _ROWS_Y, _ROW_H = 560, 1190, 500, 84
_PANEL = (1230, 470, 1480, 900)  # sponsor panel: x0, y0, x1, y1
_FOOTER_Y = 1000


def _diamond(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: RGB) -> None:
    draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=fill)


@lru_cache(maxsize=4)
def _base_layout(lang: str) -> Image.Image:
    """Paper, border, title and static labels: identical for every certificate of a locale."""
    labels = _LABELS[lang]
    img = Image.new("RGB", CERTIFICATE_SIZE, _PAPER)
    draw = ImageDraw.Draw(img)
    draw.rectangle((24, 24, _W - 25, _H - 25), outline=_GREEN, width=12)
    draw.rectangle((48, 48, _W - 49, _H - 49), outline=_GOLD, width=2)
    for x, y in ((48, 48), (_W - 49, 48), (48, _H - 49), (_W - 49, _H - 49)):
        _diamond(draw, x, y, 11, _GOLD)

    title, size = _fit(labels.title, "serif_bold", (66, 58, 50), _W - 300)
    _draw_text(img, (_W / 2, 165), title, style="serif_bold", size=size, fill=_GREEN, anchor="ms")
    draw.line((_W / 2 - 230, 200, _W / 2 + 230, 200), fill=_GOLD, width=2)
    _diamond(draw, _W / 2, 200, 7, _GOLD)
    _draw_text(img, (_W / 2, 252), labels.intro, style="sans", size=26, fill=_MUTED, anchor="ms")
    draw.line((120, 440, _W - 120, 440), fill=_RULE, width=2)

    for i, label in enumerate(
        (labels.species, labels.forest, labels.location, labels.planted, labels.verified)
    ):
        y = _ROWS_Y + i * _ROW_H
        _draw_text(img, (_ROWS_X, y), label.upper(), style="sans_bold", size=18, fill=_MUTED)

    px0, py0, px1, _ = _PANEL
    _draw_text(
        img,
        ((px0 + px1) / 2, py0 + 30),
        labels.sponsor.upper(),
        style="sans_bold",
        size=18,
        fill=_MUTED,
        anchor="ms",
    )
    draw.line((120, _FOOTER_Y - 50, _W - 120, _FOOTER_Y - 50), fill=_RULE, width=2)

    # A simple seal between the footer texts.
    sx, sy = _W / 2, _FOOTER_Y + 12
    draw.ellipse((sx - 52, sy - 52, sx + 52, sy + 52), outline=_GOLD, width=4)
    draw.ellipse((sx - 42, sy - 42, sx + 42, sy + 42), fill=_GREEN)
    seal = _stage_image(MAX_STAGE, "canopy-seal", 64, True)
    img.paste(seal, (round(sx - 32), round(sy - 36)), seal)
    _draw_text(
        img, (120, _FOOTER_Y - 8), labels.number.upper(), style="sans_bold", size=16, fill=_MUTED
    )
    _draw_text(
        img,
        (_W - 120, _FOOTER_Y - 8),
        labels.verify.upper(),
        style="sans_bold",
        size=16,
        fill=_MUTED,
        anchor="rs",
    )
    return img


def _name_pieces(names: list[str], labels: _Labels) -> list[str]:
    """'Ana,' 'Ben' 'and' 'Cy' style pieces so lines break between names, not inside them."""
    pieces = []
    for i, name in enumerate(names):
        if i < len(names) - 2:
            pieces.append(name + ",")
        elif i == len(names) - 2:
            pieces.append(f"{name} {labels.and_word}")
        else:
            pieces.append(name)
    return pieces


def _layout_names(
    names: list[str], labels: _Labels, max_width: float, max_height: float
) -> tuple[list[str], int]:
    """Largest font size at which all names fit; at the smallest, list the rest as '+N more'."""
    style: Style = "serif_bold"
    sizes = (46, 40, 34, 30, 26, 22)
    pieces = _name_pieces(names, labels)
    for size in sizes:
        max_lines = max(1, int(max_height // (size * 1.25)))
        lines = _wrap(pieces, style, size, max_width)
        if len(lines) <= max_lines:
            return lines, size
    size = sizes[-1]
    max_lines = max(1, int(max_height // (size * 1.25)))
    for keep in range(len(names) - 1, 0, -1):
        pieces = _name_pieces([*names[:keep], labels.more.format(n=len(names) - keep)], labels)
        lines = _wrap(pieces, style, size, max_width)
        if len(lines) <= max_lines:
            return lines, size
    return lines[:max_lines], size


def _clean(value: str) -> str:
    """Collapse whitespace and control characters that would break single-line layout."""
    return " ".join(str(value).split())


def render_certificate(
    *,
    number: str,
    holder_names: list[str],
    species_name: str,
    species_latin: str,
    forest_name: str,
    sponsor_name: str,
    sponsor_logo: bytes | None,
    latitude: float | None,
    longitude: float | None,
    planted_on: date | None,
    verified_on: date | None,
    verification_url: str,
    locale: str = "en",
) -> bytes:
    """Render a 1600x1131 PNG planting certificate (English, or Dutch for 'nl' locales).

    The static parts are cached per locale and the logo per content, so a render is mostly
    text drawing plus PNG encoding.  Raises ValueError for an empty holder list or
    out-of-range coordinates, since those would print a wrong certificate.
    """
    if isinstance(holder_names, str):  # a bare string would be laid out letter by letter
        raise TypeError("holder_names must be a list of names, not a string")
    names = [n for n in (_clean(n) for n in holder_names) if n]
    if not names:
        raise ValueError("holder_names must contain at least one non-empty name")
    labels = _LABELS[_language(locale)]
    coordinates = format_coordinates(latitude, longitude)

    img = _base_layout(_language(locale)).copy()

    # Holder names, vertically centred in their block.
    x0, y0, x1, y1 = _NAMES_BOX
    lines, size = _layout_names(names, labels, x1 - x0, y1 - y0)
    line_h = size * 1.25
    baseline = y0 + ((y1 - y0) - line_h * len(lines)) / 2 + size
    for line in lines:
        _draw_text(
            img, (_W / 2, baseline), line, style="serif_bold", size=size, fill=_INK, anchor="ms"
        )
        baseline += line_h

    # Tree drawing in the species' colours.
    tx, ty, side = _TREE_BOX
    tree = _stage_image(MAX_STAGE, _clean(species_latin) or _clean(species_name), side, True)
    img.paste(tree, (tx, ty), tree)

    # Detail rows.
    width = _ROWS_RIGHT - _ROWS_X
    value_y = [_ROWS_Y + i * _ROW_H + 38 for i in range(5)]
    common, latin = _clean(species_name), _clean(species_latin)
    common_text, common_size = _fit(common, "serif_bold", (30, 26, 22), width * 0.6)
    _draw_text(
        img, (_ROWS_X, value_y[0]), common_text, style="serif_bold", size=common_size, fill=_INK
    )
    if latin:
        lx = _ROWS_X + (_text_width(common_text, "serif_bold", common_size) + 14 if common else 0)
        latin_text, latin_size = _fit(latin, "serif_italic", (26, 22, 18), _ROWS_RIGHT - lx)
        _draw_text(
            img, (lx, value_y[0]), latin_text, style="serif_italic", size=latin_size, fill=_MUTED
        )
    rows = (
        _clean(forest_name),
        coordinates or labels.not_recorded,
        _format_date(planted_on, labels),
        _format_date(verified_on, labels),
    )
    for y, value in zip(value_y[1:], rows, strict=True):
        text, size = _fit(value, "serif", (30, 26, 22), width)
        _draw_text(img, (_ROWS_X, y), text, style="serif", size=size, fill=_INK)

    # Sponsor panel: logo (if usable) above the sponsor's name.
    px0, py0, px1, _ = _PANEL
    centre_x = (px0 + px1) / 2
    logo = _sponsor_logo(sponsor_logo)
    name_y = py0 + 90
    if logo is not None:
        top = py0 + 55
        img.paste(logo, (round(centre_x - logo.width / 2), top), logo)
        name_y = top + logo.height + 45
    sponsor_lines = _wrap(_clean(sponsor_name).split(" "), "serif_bold", 26, px1 - px0)
    if len(sponsor_lines) > 2:
        sponsor_lines = [
            sponsor_lines[0],
            _ellipsize(" ".join(sponsor_lines[1:]), "serif_bold", 26, px1 - px0),
        ]
    for line in sponsor_lines:
        _draw_text(
            img, (centre_x, name_y), line, style="serif_bold", size=26, fill=_GREEN, anchor="ms"
        )
        name_y += 34

    # Footer: certificate number and verification URL.
    text, size = _fit(_clean(number), "sans_bold", (28, 24, 20), 520)
    _draw_text(img, (120, _FOOTER_Y + 30), text, style="sans_bold", size=size, fill=_INK)
    url, size = _fit(_clean(verification_url), "sans", (22, 19, 16), 560)
    _draw_text(
        img, (_W - 120, _FOOTER_Y + 28), url, style="sans", size=size, fill=_GREEN, anchor="rs"
    )

    return _encode_png(img)
