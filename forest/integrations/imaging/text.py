"""Fonts and text drawing: DejaVu when installed, else Pillow's bundled font with faked styles."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

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
