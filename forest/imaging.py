"""Pillow-only artwork for the forest: growth-stage illustrations and planting certificates.

Kept free of Django and the database so it can run in Celery workers, management commands and
benchmarks alike, and so that its cost can be measured in isolation.  Everything here is
deterministic: the same inputs give the same PNG bytes, which keeps caching and tests simple.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import logging
import math
import random
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = [
    "CERTIFICATE_SIZE",
    "MAX_STAGE",
    "format_coordinates",
    "render_certificate",
    "render_stage_illustration",
]

logger = logging.getLogger(__name__)

MAX_STAGE = 6
CERTIFICATE_SIZE = (1600, 1131)

RGB = tuple[int, int, int]
Style = Literal["serif", "serif_bold", "serif_italic", "sans", "sans_bold"]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Optional nicer typeface; everything falls back to Pillow's bundled scalable font without it.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES: dict[str, str] = {
    "serif": "DejaVuSerif.ttf",
    "serif_bold": "DejaVuSerif-Bold.ttf",
    "serif_italic": "DejaVuSerif-Italic.ttf",
    "sans": "DejaVuSans.ttf",
    "sans_bold": "DejaVuSans-Bold.ttf",
}

# zlib level for our PNG writer: 3 is the last of zlib's fast levels; 6 halves nothing but
# doubles the time on this flat artwork.
_PNG_COMPRESS_LEVEL = 3
# Illustrations are drawn at this multiple and downsampled: ImageDraw does not antialias.
_SUPERSAMPLE = 2


# --------------------------------------------------------------------------------------------
# Fonts and text helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Face:
    """A font plus whether bold/italic must be faked (the bundled font has one weight)."""

    font: Font
    fake_bold: bool
    fake_italic: bool


@lru_cache(maxsize=64)
def _face(style: Style, size: int) -> _Face:
    """Load (once) a font for a style and pixel size; cached because loading costs ~1 ms."""
    path = FONT_DIR / _FONT_FILES[style]
    if path.is_file():
        try:
            return _Face(ImageFont.truetype(str(path), size), False, False)
        except OSError:  # unreadable or not a font: fall through to the bundled one
            logger.warning("could not load font %s, using Pillow's default", path)
    return _Face(
        ImageFont.load_default(size=size),
        fake_bold=style.endswith("_bold"),
        fake_italic=style.endswith("_italic"),
    )


def _text_width(text: str, style: Style, size: int) -> float:
    face = _face(style, size)
    return face.font.getlength(text) + (2 if face.fake_bold else 0)


def _draw_text(
    image: Image.Image,
    xy: tuple[float, float],
    text: str,
    *,
    style: Style,
    size: int,
    fill: RGB,
    anchor: str = "ls",
) -> None:
    """Draw text, faking bold (stroke) or italic (shear) when the real face is missing."""
    face = _face(style, size)
    if not face.fake_italic:
        stroke = 1 if face.fake_bold else 0
        ImageDraw.Draw(image).text(
            xy,
            text,
            font=face.font,
            fill=fill,
            anchor=anchor,
            stroke_width=stroke,
            stroke_fill=fill,
        )
        return
    left, top, right, bottom = (int(v) for v in face.font.getbbox(text, anchor=anchor))
    height = max(1, bottom - top)
    slant = 0.2
    extra = math.ceil(slant * height)
    mask = Image.new("L", (max(1, right - left) + extra, height))
    ImageDraw.Draw(mask).text((-left, -top), text, font=face.font, fill=255, anchor=anchor)
    mask = mask.transform(
        mask.size,
        Image.Transform.AFFINE,
        (1, slant, -slant * height, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    box = (round(xy[0]) + left, round(xy[1]) + top)
    image.paste(Image.new("RGB", mask.size, fill), box, mask)


def _ellipsize(text: str, style: Style, size: int, max_width: float) -> str:
    """Cut text with an ellipsis so it fits; binary search because getlength is per call."""
    if _text_width(text, style, size) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _text_width(text[:mid].rstrip() + "…", style, size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _fit(text: str, style: Style, sizes: tuple[int, ...], max_width: float) -> tuple[str, int]:
    """Pick the largest size at which text fits, else ellipsize at the smallest size."""
    for size in sizes:
        if _text_width(text, style, size) <= max_width:
            return text, size
    return _ellipsize(text, style, sizes[-1], max_width), sizes[-1]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _encode_png(image: Image.Image) -> bytes:
    """Encode an RGB image as PNG with filter type 0 (none) on every row.

    Pillow's encoder always runs adaptive per-row filter selection, which costs ~20 ms on a
    certificate whatever the compression level.  On flat, drawn artwork unfiltered rows
    compress about as well, so this plain writer is 2-3x faster and no bigger.
    """
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    # A stride one byte longer than a row pads each row with a zero byte; shifting that
    # buffer by one byte turns the pads into the per-row "filter: none" bytes PNG expects.
    padded = image.tobytes("raw", "RGB", width * 3 + 1)
    deflate = zlib.compressobj(_PNG_COMPRESS_LEVEL)
    idat = deflate.compress(b"\x00") + deflate.compress(memoryview(padded)[:-1]) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", idat),
            _png_chunk(b"IEND", b""),
        )
    )


# --------------------------------------------------------------------------------------------
# Stage illustrations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    leaf: RGB
    leaf_dark: RGB
    leaf_light: RGB
    trunk: RGB
    trunk_dark: RGB
    accent: RGB
    ground: RGB
    ground_dark: RGB
    shadow: RGB
    sky: RGB
    seed: int


def _hls(h: float, light: float, sat: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, min(max(light, 0.0), 1.0), min(max(sat, 0.0), 1.0))
    return round(r * 255), round(g * 255), round(b * 255)


@lru_cache(maxsize=256)
def _palette(species_code: str) -> _Palette:
    """Derive stable colours from the species code (sha256, not hash(): that is salted)."""
    d = hashlib.sha256(species_code.encode("utf-8")).digest()
    hue = 0.22 + d[0] / 255 * 0.17  # yellow-green .. blue-green: always reads as foliage
    sat = 0.42 + d[1] / 255 * 0.25
    light = 0.30 + d[2] / 255 * 0.10
    trunk_hue = 0.055 + d[3] / 255 * 0.04
    trunk_light = 0.22 + d[4] / 255 * 0.12
    return _Palette(
        leaf=_hls(hue, light, sat),
        leaf_dark=_hls(hue + 0.01, light - 0.09, sat),
        leaf_light=_hls(hue - 0.01, light + 0.13, sat + 0.05),
        trunk=_hls(trunk_hue, trunk_light, 0.40),
        trunk_dark=_hls(trunk_hue, trunk_light - 0.08, 0.40),
        accent=_hls(0.5 + d[5] / 255 * 0.65, 0.62, 0.70),  # blue..red..orange, never green
        ground=_hls(0.20 + d[6] / 255 * 0.06, 0.40, 0.35),
        ground_dark=_hls(0.08, 0.28, 0.35),
        shadow=_hls(0.20 + d[6] / 255 * 0.06, 0.30, 0.35),
        sky=_hls(0.55, 0.93, 0.45),
        seed=int.from_bytes(d[8:16], "big"),
    )


def _leaf_polygon(
    base: tuple[float, float], tip: tuple[float, float], width: float, steps: int = 10
) -> list[tuple[float, float]]:
    """Almond-shaped leaf along base->tip: ImageDraw cannot draw rotated ellipses."""
    (bx, by), (tx, ty) = base, tip
    length = math.hypot(tx - bx, ty - by) or 1.0
    nx, ny = -(ty - by) / length, (tx - bx) / length
    left, right = [], []
    for i in range(steps + 1):
        t = i / steps
        cx, cy = bx + (tx - bx) * t, by + (ty - by) * t
        half = width / 2 * math.sin(math.pi * t)
        left.append((cx + nx * half, cy + ny * half))
        right.append((cx - nx * half, cy - ny * half))
    return left + right[::-1]


def _circle(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: RGB) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def _draw_tree(
    draw: ImageDraw.ImageDraw, s: int, stage: int, pal: _Palette, *, patch: bool
) -> None:
    """Draw ground and a plant at `stage` on an s x s canvas."""
    cx, gy = s * 0.5, s * 0.84
    if patch:  # a free-standing patch of grass, for pasting onto other artwork
        draw.ellipse((0.06 * s, gy - 0.045 * s, 0.94 * s, gy + 0.07 * s), fill=pal.ground)
    else:  # a wide, gentle hill running off the edges
        draw.ellipse((-0.15 * s, gy - 0.05 * s, 1.15 * s, gy + 0.7 * s), fill=pal.ground)

    if stage == 0:  # seed resting in a small mound of soil
        draw.ellipse(
            (cx - 0.09 * s, gy - 0.03 * s, cx + 0.09 * s, gy + 0.03 * s), fill=pal.ground_dark
        )
        draw.ellipse(
            (cx - 0.035 * s, gy - 0.045 * s, cx + 0.035 * s, gy - 0.005 * s), fill=pal.trunk
        )
        draw.ellipse((cx - 0.02 * s, gy - 0.04 * s, cx, gy - 0.025 * s), fill=pal.trunk_dark)
        return

    if stage <= 2:  # sprout (1) and sapling (2): a stem with a few leaves
        height = (0.13 if stage == 1 else 0.28) * s
        stem_w = max(2, round((0.012 if stage == 1 else 0.018) * s))
        top = (cx, gy - height)
        draw.line(((cx, gy), top), fill=pal.leaf_dark, width=stem_w)
        leaves = [(0.0, -1), (0.0, 1)] if stage == 1 else [(0.0, -1), (0.0, 1), (0.4, -1), (0.6, 1)]
        length = (0.09 if stage == 1 else 0.12) * s
        for frac, side in leaves:
            base = (cx, top[1] + height * frac)
            tip = (cx + side * length, base[1] - length * 0.55)
            draw.polygon(_leaf_polygon(base, tip, length * 0.5), fill=pal.leaf)
        draw.polygon(
            _leaf_polygon(top, (cx, top[1] - length * 0.8), length * 0.45), fill=pal.leaf_light
        )
        return

    # Stages 3..6: a tree whose trunk and crown grow with the stage.
    k = stage - 3  # 0..3
    trunk_h = (0.26 + 0.05 * k) * s
    crown_r = (0.13 + 0.04 * k) * s  # keeps the stage-6 crown inside the canvas
    bottom_w = (0.035 + 0.018 * k) * s
    top_w = bottom_w * 0.55
    trunk_top = gy - trunk_h
    draw.ellipse(
        (cx - crown_r * 0.9, gy - 0.018 * s, cx + crown_r * 0.9, gy + 0.022 * s), fill=pal.shadow
    )
    flare = bottom_w * (0.5 if stage >= 5 else 0.15)
    draw.polygon(
        [
            (cx - bottom_w / 2 - flare, gy + 0.005 * s),
            (cx - top_w / 2, trunk_top),
            (cx + top_w / 2, trunk_top),
            (cx + bottom_w / 2 + flare, gy + 0.005 * s),
        ],
        fill=pal.trunk,
    )
    if stage >= 4:  # branches reaching into the crown
        bw = max(2, round(top_w * 0.45))
        for side in (-1, 1):
            start = (cx, trunk_top + trunk_h * 0.25)
            end = (cx + side * crown_r * 0.55, trunk_top - crown_r * 0.35)
            draw.line((start, end), fill=pal.trunk_dark, width=bw)

    # Crown: overlapping blobs; positions come from the species seed so the tree keeps its
    # silhouette as it grows.
    rng = random.Random(pal.seed)
    centre_y = trunk_top - crown_r * 0.45
    blobs = []
    for i in range(7 + 2 * k):
        angle = 2 * math.pi * i / (7 + 2 * k) + rng.uniform(-0.3, 0.3)
        dist = crown_r * rng.uniform(0.35, 0.62)
        radius = crown_r * rng.uniform(0.42, 0.58)
        blobs.append(
            (cx + math.cos(angle) * dist, centre_y + math.sin(angle) * dist * 0.85, radius)
        )
    for bx, by, r in blobs:
        _circle(draw, bx, by + r * 0.12, r, pal.leaf_dark)
    _circle(draw, cx, centre_y, crown_r * 0.62, pal.leaf)
    for bx, by, r in blobs:
        _circle(draw, bx, by, r * 0.9, pal.leaf)
    for bx, by, r in blobs:
        if by < centre_y:  # highlights on the sunny upper side
            _circle(draw, bx - r * 0.25, by - r * 0.25, r * 0.4, pal.leaf_light)
    if stage == MAX_STAGE:  # blossom or fruit marks maturity
        for _ in range(12):
            angle = rng.uniform(0, 2 * math.pi)
            dist = crown_r * math.sqrt(rng.uniform(0.05, 0.9))
            _circle(
                draw,
                cx + math.cos(angle) * dist,
                centre_y + math.sin(angle) * dist * 0.85,
                crown_r * 0.055,
                pal.accent,
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_stage_args(stage: int, species_code: str, size: int) -> None:
    """Validate before touching the caches: lru_cache would treat True as 1 and 6.0 as 6."""
    if not _is_int(stage) or not 0 <= stage <= MAX_STAGE:
        raise ValueError(f"stage must be an integer from 0 to {MAX_STAGE}, got {stage!r}")
    if not _is_int(size) or not 16 <= size <= 4096:
        raise ValueError(f"size must be an integer from 16 to 4096, got {size!r}")
    if not isinstance(species_code, str):
        raise TypeError(f"species_code must be a string, got {type(species_code).__name__}")


@lru_cache(maxsize=64)
def _stage_image(stage: int, species_code: str, size: int, transparent: bool) -> Image.Image:
    """Cached RGBA drawing; callers must not mutate it (paste from it or copy first)."""
    pal = _palette(species_code)
    big = size * _SUPERSAMPLE
    background = (*pal.sky, 0) if transparent else (*pal.sky, 255)
    canvas = Image.new("RGBA", (big, big), background)
    _draw_tree(ImageDraw.Draw(canvas), big, stage, pal, patch=transparent)
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


@lru_cache(maxsize=128)
def _stage_png(stage: int, species_code: str, size: int) -> bytes:
    return _encode_png(_stage_image(stage, species_code, size, False))


def render_stage_illustration(stage: int, *, species_code: str, size: int = 256) -> bytes:
    """PNG of a plant at growth stage 0 (seed) .. 6 (mature), coloured per species.

    Cached: the output depends only on the arguments and the API serves the same few
    combinations over and over.
    """
    _check_stage_args(stage, species_code, size)
    return _stage_png(stage, species_code, size)


# --------------------------------------------------------------------------------------------
# Certificate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labels:
    title: str
    intro: str
    species: str
    forest: str
    sponsor: str
    location: str
    planted: str
    verified: str
    number: str
    verify: str
    pending: str
    not_recorded: str
    and_word: str
    more: str  # format string with {n}
    months: tuple[str, ...]


_LABELS: dict[str, _Labels] = {
    "en": _Labels(
        title="Certificate of planting",
        intro="This certifies that a real tree has been planted on behalf of",
        species="Species",
        forest="Forest",
        sponsor="Sponsored by",
        location="Location",
        planted="Planted on",
        verified="Verified on",
        number="Certificate no.",
        verify="Verify this certificate at",
        pending="pending",
        not_recorded="not recorded",
        and_word="and",
        more="+{n} more",
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    "nl": _Labels(
        title="Certificaat van aanplant",
        intro="Hiermee wordt bevestigd dat er een echte boom is geplant namens",
        species="Boomsoort",
        forest="Bos",
        sponsor="Gesponsord door",
        location="Locatie",
        planted="Geplant op",
        verified="Geverifieerd op",
        number="Certificaatnr.",
        verify="Controleer dit certificaat op",
        pending="in afwachting",
        not_recorded="niet vastgelegd",
        and_word="en",
        more="+{n} anderen",
        months=(
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ),
    ),
}


def _language(locale: str) -> str:
    """Map 'nl', 'nl-NL', 'nl_BE' to 'nl'; anything unknown falls back to English."""
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return lang if lang in _LABELS else "en"


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
_LOGO_BOX = (230, 150)
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


def format_coordinates(latitude: float | None, longitude: float | None) -> str | None:
    """'52.37403° N, 4.88969° E' (5 decimals is about a metre); None when either is missing."""
    if latitude is None or longitude is None:
        return None
    lat, lon = float(latitude), float(longitude)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also rejects NaN
        raise ValueError(f"coordinates out of range: {latitude!r}, {longitude!r}")
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.5f}° {ns}, {abs(lon):.5f}° {ew}"


def _format_date(value: date | None, labels: _Labels) -> str:
    if value is None:
        return labels.pending
    return f"{value.day} {labels.months[value.month - 1]} {value.year}"


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


def _wrap(pieces: list[str], style: Style, size: int, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for piece in pieces:
        piece = _ellipsize(piece, style, size, max_width)
        candidate = f"{current} {piece}" if current else piece
        if current and _text_width(candidate, style, size) > max_width:
            lines.append(current)
            current = piece
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


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


# Decoded sponsor logos, keyed by content digest: sponsors reuse one logo for every certificate.
_LOGO_CACHE: OrderedDict[bytes, Image.Image | None] = OrderedDict()
_LOGO_CACHE_SIZE = 32
_LOGO_LOCK = threading.Lock()
_LOGO_MAX_BYTES = 8 * 1024 * 1024
_LOGO_MAX_PIXELS = 25_000_000


def _decode_logo(data: bytes) -> Image.Image | None:
    if not data or len(data) > _LOGO_MAX_BYTES:
        return None
    try:
        with Image.open(io.BytesIO(data)) as src:
            if src.width * src.height > _LOGO_MAX_PIXELS:
                return None
            src.draft("RGB", (_LOGO_BOX[0] * 2, _LOGO_BOX[1] * 2))  # JPEG: decode downscaled
            logo = ImageOps.exif_transpose(src)
            logo = logo.convert("RGBA")
        logo.thumbnail(_LOGO_BOX, Image.Resampling.LANCZOS)
        return logo
    except Exception as exc:  # any decoder error: a bad partner logo must not block certificates
        logger.warning("ignoring unreadable sponsor logo: %s", exc)
        return None


def _sponsor_logo(data: bytes | None) -> Image.Image | None:
    if not data:
        return None
    key = hashlib.sha256(data).digest()
    with _LOGO_LOCK:
        if key in _LOGO_CACHE:
            _LOGO_CACHE.move_to_end(key)
            return _LOGO_CACHE[key]
    logo = _decode_logo(data)
    with _LOGO_LOCK:
        _LOGO_CACHE[key] = logo
        while len(_LOGO_CACHE) > _LOGO_CACHE_SIZE:
            _LOGO_CACHE.popitem(last=False)
    return logo


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
