"""Growth-stage illustrations: a plant at stage 0 (seed) .. 6 (mature), coloured per species."""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from forest.integrations.imaging.png import _encode_png

if TYPE_CHECKING:
    from forest.integrations.imaging.text import RGB

MAX_STAGE = 6
# Illustrations are drawn at this multiple and downsampled: ImageDraw does not antialias.
_SUPERSAMPLE = 2


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
