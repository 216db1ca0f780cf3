"""Time certificate rendering: `python benchmarks/certificate_bench.py [-n 200] [--locale nl]`.

Renders N certificates with varying holder names (single people and teams of up to ten),
after one untimed warm-up render that fills the font/layout caches, and prints mean, median
and p95 milliseconds per certificate plus the PNG sizes.  Needs no Django settings: it only
imports forest.integrations.imaging, which is pure Pillow.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from forest.integrations.imaging import render_certificate

FIRST = ["Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Guus", "Hanna", "Isa", "Jesse", "Khadija"]
LAST = ["de Vries", "Jansen", "van den Berg", "Bakker", "El Amrani", "Visser", "Smit", "Meijer"]
SPECIES = [
    ("Pedunculate oak", "Quercus robur"),
    ("Scots pine", "Pinus sylvestris"),
    ("Silver birch", "Betula pendula"),
    ("European beech", "Fagus sylvatica"),
]


def _logo() -> bytes:
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    image.paste((0, 120, 70, 255), (30, 30, 570, 270))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _arguments(i: int, rng: random.Random, logo: bytes, locale: str) -> dict:
    team = rng.choice([1, 1, 1, 2, 3, 5, 10])
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(team)]
    common, latin = SPECIES[i % len(SPECIES)]
    planted = date(2025, 1, 1) + timedelta(days=i % 365)
    return {
        "number": f"CAN-2025-{i:06d}",
        "holder_names": names,
        "species_name": common,
        "species_latin": latin,
        "forest_name": "Veluwe Brand Forest",
        "sponsor_name": "Groene Bank",
        "sponsor_logo": logo,
        "latitude": 52.0 + rng.random(),
        "longitude": 5.0 + rng.random(),
        "planted_on": planted,
        "verified_on": planted + timedelta(days=30) if i % 3 else None,
        "verification_url": f"https://canopy.example/verify/CAN-2025-{i:06d}",
        "locale": locale,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="certificates to render (default 200)")
    parser.add_argument("--locale", default="en", help="en or nl (default en)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")

    rng = random.Random(42)
    logo = _logo()
    start = time.perf_counter()
    render_certificate(**_arguments(0, rng, logo, args.locale))
    cold_ms = (time.perf_counter() - start) * 1000

    timings: list[float] = []
    sizes: list[int] = []
    for i in range(1, args.n + 1):
        kwargs = _arguments(i, rng, logo, args.locale)
        start = time.perf_counter()
        png = render_certificate(**kwargs)
        timings.append((time.perf_counter() - start) * 1000)
        sizes.append(len(png))

    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"certificates: {args.n} ({args.locale}), 1600x1131 PNG")
    print(f"cold first render: {cold_ms:.1f} ms (fills font, layout and logo caches)")
    print(
        f"per certificate: mean {statistics.fmean(timings):.1f} ms, "
        f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"min {timings[0]:.1f} ms, max {timings[-1]:.1f} ms"
    )
    print(
        f"PNG size: mean {statistics.fmean(sizes) / 1024:.1f} KiB, "
        f"min {min(sizes) / 1024:.1f} KiB, max {max(sizes) / 1024:.1f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
