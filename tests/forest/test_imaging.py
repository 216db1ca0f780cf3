"""Certificate and growth-stage rendering: valid PNGs, real content, both locales, speed."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from PIL import Image, ImageChops, ImageStat

from forest.integrations.imaging import (
    CERTIFICATE_SIZE,
    format_coordinates,
    render_certificate,
    render_stage_illustration,
)
from forest.integrations.imaging import certificate as imaging_certificate
from forest.integrations.imaging import labels as imaging_labels
from forest.integrations.imaging import png as imaging_png
from forest.integrations.imaging import stages as imaging_stages
from forest.integrations.imaging import text as imaging_text


def logo_png() -> bytes:
    logo = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    logo.paste((200, 30, 30, 255), (20, 20, 380, 180))
    buf = io.BytesIO()
    logo.save(buf, "PNG")
    return buf.getvalue()


def certificate_args(**overrides) -> dict:
    args = {
        "number": "CAN-2025-000123",
        "holder_names": ["Anna de Vries"],
        "species_name": "Pedunculate oak",
        "species_latin": "Quercus robur",
        "forest_name": "Veluwe Brand Forest",
        "sponsor_name": "Groene Bank",
        "sponsor_logo": logo_png(),
        "latitude": 52.37403,
        "longitude": 4.88969,
        "planted_on": date(2025, 3, 12),
        "verified_on": date(2025, 4, 2),
        "verification_url": "https://canopy.example/verify/CAN-2025-000123",
    }
    args.update(overrides)
    return args


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def assert_not_blank(image: Image.Image) -> None:
    rgb = image.convert("RGB")
    assert len(rgb.getcolors(maxcolors=1_000_000) or []) > 200
    assert max(ImageStat.Stat(rgb).stddev) > 20


def region_differs(a: bytes, b: bytes, box: tuple[int, int, int, int]) -> bool:
    return open_png(a).crop(box).tobytes() != open_png(b).crop(box).tobytes()


# --------------------------------------------------------------------------------------------
# Certificate
# --------------------------------------------------------------------------------------------


def test_certificate_is_a_png_of_the_right_size_and_not_blank():
    image = open_png(render_certificate(**certificate_args()))
    assert image.size == CERTIFICATE_SIZE == (1600, 1131)
    assert_not_blank(image)


def test_certificate_is_deterministic():
    assert render_certificate(**certificate_args()) == render_certificate(**certificate_args())


def test_dutch_certificate_uses_dutch_labels():
    english = render_certificate(**certificate_args())
    dutch = render_certificate(**certificate_args(locale="nl"))
    assert_not_blank(open_png(dutch))
    assert region_differs(english, dutch, (0, 100, 1600, 220))  # the title
    # Regional variants of Dutch get the Dutch layout; unknown locales fall back to English.
    assert render_certificate(**certificate_args(locale="nl-BE")) == dutch
    assert render_certificate(**certificate_args(locale="fr")) == english


def test_dutch_labels_and_dates():
    labels = imaging_labels._LABELS[imaging_labels._language("nl")]
    assert labels.title == "Certificaat van aanplant"
    assert imaging_labels._format_date(date(2025, 3, 12), labels) == "12 maart 2025"
    assert imaging_labels._format_date(None, labels) == "in afwachting"
    english = imaging_labels._LABELS["en"]
    assert english.title == "Certificate of planting"
    assert imaging_labels._format_date(date(2025, 3, 12), english) == "12 March 2025"
    assert imaging_labels._format_date(None, english) == "pending"


def test_team_of_ten_names_fits_in_the_names_block():
    names = [f"Team Member {chr(65 + i)}. Lastname-{i}" for i in range(10)]
    single = render_certificate(**certificate_args())
    team = render_certificate(**certificate_args(holder_names=names))
    assert_not_blank(open_png(team))
    assert region_differs(single, team, (140, 280, 1460, 415))
    labels = imaging_labels._LABELS["en"]
    lines, size = imaging_certificate._layout_names(names, labels, 1320, 135)
    assert len(lines) * size * 1.25 <= 135
    assert " ".join(lines).count("Lastname") == 10  # everybody is named
    assert all(imaging_text._text_width(line, "serif_bold", size) <= 1320 for line in lines)


def test_huge_team_is_summarised():
    names = [f"Participant Number {i:03d}" for i in range(200)]
    lines, _size = imaging_certificate._layout_names(names, imaging_labels._LABELS["en"], 1320, 135)
    assert "more" in lines[-1]
    assert_not_blank(open_png(render_certificate(**certificate_args(holder_names=names))))


def test_long_values_are_fitted_not_overflowing():
    png = render_certificate(
        **certificate_args(
            holder_names=["A" * 300],
            species_name="An extraordinarily long common species name " * 3,
            forest_name="Forest " * 40,
            sponsor_name="The Very Long Sponsor Name Foundation for Reforestation " * 3,
            verification_url="https://canopy.example/verify/" + "x" * 300,
            number="N" * 100,
        )
    )
    assert open_png(png).size == CERTIFICATE_SIZE


def test_missing_logo_and_pending_dates_and_unknown_location():
    png = render_certificate(
        **certificate_args(
            sponsor_logo=None, verified_on=None, planted_on=None, latitude=None, longitude=None
        )
    )
    assert_not_blank(open_png(png))
    with_logo = render_certificate(**certificate_args())
    assert region_differs(png, with_logo, imaging_certificate._PANEL)


@pytest.mark.parametrize(
    "bad_logo",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, logo_png()[:200]],
    ids=["empty", "text", "png-header-only", "truncated"],
)
def test_corrupt_logo_is_ignored(bad_logo):
    png = render_certificate(**certificate_args(sponsor_logo=bad_logo))
    without = render_certificate(**certificate_args(sponsor_logo=None))
    assert png == without


def test_jpeg_logo_is_used():
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (20, 60, 200)).save(buf, "JPEG")
    png = render_certificate(**certificate_args(sponsor_logo=buf.getvalue()))
    without = render_certificate(**certificate_args(sponsor_logo=None))
    assert region_differs(png, without, imaging_certificate._PANEL)


def test_empty_holder_list_is_rejected():
    with pytest.raises(ValueError, match="holder_names"):
        render_certificate(**certificate_args(holder_names=["", "   "]))


def test_holder_names_must_be_a_list_not_a_string():
    with pytest.raises(TypeError, match="list of names"):
        render_certificate(**certificate_args(holder_names="Anna de Vries"))


def test_out_of_range_coordinates_are_rejected():
    with pytest.raises(ValueError, match="out of range"):
        render_certificate(**certificate_args(latitude=95.0))


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (52.37403, 4.88969, "52.37403° N, 4.88969° E"),
        (-33.44889, -70.66926, "33.44889° S, 70.66926° W"),
        (0, 0, "0.00000° N, 0.00000° E"),
        (None, 4.0, None),
    ],
)
def test_format_coordinates(lat, lon, expected):
    assert format_coordinates(lat, lon) == expected


def test_works_without_dejavu_fonts(monkeypatch, tmp_path):
    """Pillow's bundled scalable font is the fallback when system fonts are absent."""
    monkeypatch.setattr(imaging_text, "FONT_DIR", tmp_path / "no-fonts-here")
    imaging_text._face.cache_clear()
    imaging_certificate._base_layout.cache_clear()
    try:
        png = render_certificate(**certificate_args(locale="nl"))
        image = open_png(png)
        assert image.size == CERTIFICATE_SIZE
        assert_not_blank(image)
        assert imaging_text._face("serif_italic", 20).fake_italic
    finally:
        imaging_text._face.cache_clear()
        imaging_certificate._base_layout.cache_clear()


def test_png_writer_round_trips_pixels():
    image = Image.effect_mandelbrot((123, 45), (-2, -1, 1, 1), 50).convert("RGB")
    decoded = open_png(imaging_png._encode_png(image))
    assert decoded.mode == "RGB"
    assert decoded.tobytes() == image.tobytes()


def test_repeated_renders_reuse_the_cached_layout_and_fonts():
    """What keeps a render cheap (benchmarks/certificate_bench.py measures it, not a test):
    after the first certificate of a locale, others only draw their own text."""
    from forest.integrations.imaging import certificate, text

    render_certificate(**certificate_args())  # warm the caches
    layout_misses = certificate._base_layout.cache_info().misses
    font_misses = text._face.cache_info().misses
    for i in range(10):
        render_certificate(**certificate_args(holder_names=[f"Holder {i}"]))
    assert certificate._base_layout.cache_info().misses == layout_misses
    assert text._face.cache_info().misses == font_misses


# --------------------------------------------------------------------------------------------
# Stage illustrations
# --------------------------------------------------------------------------------------------


def test_stage_illustrations_differ_per_stage():
    images = [render_stage_illustration(stage, species_code="QURO") for stage in range(7)]
    assert len({hashlib.sha256(png).hexdigest() for png in images}) == 7
    for png in images:
        image = open_png(png)
        assert image.size == (256, 256)
        assert max(ImageStat.Stat(image.convert("RGB")).stddev) > 10


def test_plant_grows_with_stage():
    def plant_pixels(stage: int) -> int:
        image = open_png(render_stage_illustration(stage, species_code="QURO")).convert("RGB")
        top = image.crop((0, 0, 256, 200))  # above the ground line
        sky = Image.new("RGB", top.size, image.getpixel((0, 0)))
        differs = ImageChops.difference(top, sky).convert("L").point(lambda v: 255 if v else 0)
        return differs.histogram()[255]

    sizes = [plant_pixels(stage) for stage in range(7)]
    assert sizes == sorted(sizes)
    assert sizes[6] > 10 * sizes[1]


def test_stage_illustration_is_deterministic_and_species_coloured():
    first = render_stage_illustration(6, species_code="QURO", size=128)
    imaging_stages._stage_png.cache_clear()
    imaging_stages._stage_image.cache_clear()
    assert render_stage_illustration(6, species_code="QURO", size=128) == first
    assert render_stage_illustration(6, species_code="PISY", size=128) != first
    assert open_png(first).size == (128, 128)


@pytest.mark.parametrize("stage", [-1, 7, 2.5, True])
def test_invalid_stage_is_rejected(stage):
    with pytest.raises(ValueError, match="stage"):
        render_stage_illustration(stage, species_code="QURO")


def test_invalid_size_is_rejected():
    with pytest.raises(ValueError, match="size"):
        render_stage_illustration(3, species_code="QURO", size=8)
