"""Evidence photo sanitising: metadata stripping, evidence extraction, rejection, dhash."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from partners.integrations.photos import (
    PhotoRejected,
    SanitisedPhoto,
    dhash,
    hamming,
    is_near_duplicate,
    sanitise_photo,
)

AMSTERDAM = (52.37403, 4.88969)


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A deterministic photo-like picture: a gradient sky with random shapes on it."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(25):
        x, y = rng.randrange(w), rng.randrange(h)
        rw, rh = rng.randrange(w // 12, w // 3), rng.randrange(h // 12, h // 3)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + rw, y + rh), fill=colour)
    return image


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(round(seconds * 1e4), 10**4),
    )


def camera_exif(
    *,
    taken: str | None = "2024:05:06 07:08:09",
    offset: str | None = None,
    lat: float | None = AMSTERDAM[0],
    lon: float | None = AMSTERDAM[1],
    orientation: int | None = None,
) -> Image.Exif:
    """EXIF as a phone would write it, including the identifying tags we must strip."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5 Secret Edition"
    exif[ExifTags.Base.Software] = "Firmware 1.2.3"
    exif[ExifTags.Base.Artist] = "Jan Jansen"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.BodySerialNumber] = "SN-0042-SERIAL"
    sub[ExifTags.Base.LensModel] = "RF 24-105mm"
    sub[ExifTags.Base.MakerNote] = b"MAKERNOTE-PRIVATE-BLOB"
    if taken is not None:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
        gps[ExifTags.GPS.GPSAltitude] = IFDRational(123, 1)
        gps[ExifTags.GPS.GPSImgDirection] = IFDRational(90, 1)
    return exif


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def camera_jpeg(seed: int = 1, size: tuple[int, int] = (640, 480), **exif_args) -> bytes:
    return encode(
        scene(seed, size),
        quality=92,
        exif=camera_exif(**exif_args),
        comment=b"Owner: Jan Jansen",
    )


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload prefix) for every segment before the image data."""
    assert data[:2] == b"\xff\xd8"
    pos, segments = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segments.append((marker, data[pos + 4 : pos + 10]))
        pos += 2 + length
    return segments


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


def test_strips_camera_metadata_and_keeps_time_and_gps():
    original = camera_jpeg()
    assert b"Canon" in original and b"SN-0042-SERIAL" in original  # sanity check of the input

    photo = sanitise_photo(original)

    for secret in (b"Canon", b"EOS R5", b"SN-0042", b"Firmware", b"Jan Jansen", b"MAKERNOTE"):
        assert secret not in photo.jpeg
    out = Image.open(io.BytesIO(photo.jpeg))
    exif = out.getexif()
    assert set(exif) == {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo}  # only the two IFD pointers
    assert set(exif.get_ifd(ExifTags.IFD.Exif)) == {
        ExifTags.Base.DateTimeOriginal,
        ExifTags.Base.OffsetTimeOriginal,
    }
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert set(gps) == {
        ExifTags.GPS.GPSVersionID,
        ExifTags.GPS.GPSLatitudeRef,
        ExifTags.GPS.GPSLatitude,
        ExifTags.GPS.GPSLongitudeRef,
        ExifTags.GPS.GPSLongitude,
    }
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2024:05:06 07:08:09"
    assert "comment" not in out.info and "icc_profile" not in out.info

    assert photo.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert photo.latitude == pytest.approx(AMSTERDAM[0], abs=1e-6)
    assert photo.longitude == pytest.approx(AMSTERDAM[1], abs=1e-6)


def test_output_has_no_segments_besides_jfif_and_exif():
    photo = sanitise_photo(camera_jpeg())
    app_segments = [(m, p) for m, p in jpeg_segments(photo.jpeg) if 0xE0 <= m <= 0xEF or m == 0xFE]
    assert [(m, p[:4]) for m, p in app_segments] == [(0xE0, b"JFIF"), (0xE1, b"Exif")]


def test_kept_evidence_survives_a_second_pass():
    first = sanitise_photo(camera_jpeg())
    second = sanitise_photo(first.jpeg)
    assert second.taken_at == first.taken_at
    assert second.latitude == pytest.approx(first.latitude, abs=1e-6)
    assert second.longitude == pytest.approx(first.longitude, abs=1e-6)


def test_southern_and_western_coordinates_are_negative():
    photo = sanitise_photo(camera_jpeg(lat=-33.44889, lon=-70.66926))
    assert photo.latitude == pytest.approx(-33.44889, abs=1e-6)
    assert photo.longitude == pytest.approx(-70.66926, abs=1e-6)
    gps = Image.open(io.BytesIO(photo.jpeg)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "S"
    assert gps[ExifTags.GPS.GPSLongitudeRef] == "W"


def test_offset_time_is_applied_and_result_is_utc():
    photo = sanitise_photo(camera_jpeg(taken="2024:07:01 14:30:00", offset="+02:00"))
    assert photo.taken_at == datetime(2024, 7, 1, 12, 30, tzinfo=UTC)
    assert photo.taken_at.tzinfo is not None


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "", "yesterday", "2024:13:45 99:00:00"])
def test_unusable_capture_time_is_none(taken):
    assert sanitise_photo(camera_jpeg(taken=taken)).taken_at is None


def test_null_island_gps_is_treated_as_missing():
    photo = sanitise_photo(camera_jpeg(lat=0.0, lon=0.0))
    assert photo.latitude is None and photo.longitude is None


def test_photo_without_exif_gets_no_exif():
    photo = sanitise_photo(encode(scene(3)))
    assert photo.taken_at is None and photo.latitude is None and photo.longitude is None
    assert len(Image.open(io.BytesIO(photo.jpeg)).getexif()) == 0
    assert all(marker != 0xE1 for marker, _ in jpeg_segments(photo.jpeg))


def test_exif_orientation_is_applied():
    # Stored landscape, left half red; orientation 6 means "rotate 90 degrees clockwise".
    stored = Image.new("RGB", (300, 200), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 150, 200))
    photo = sanitise_photo(encode(stored, exif=camera_exif(orientation=6)))
    out = Image.open(io.BytesIO(photo.jpeg)).convert("RGB")
    assert (photo.width, photo.height) == out.size == (200, 300)
    assert out.getpixel((100, 20))[0] > 200  # the red half is now on top
    assert out.getpixel((100, 280))[2] > 200
    assert ExifTags.Base.Orientation not in out.getexif()


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def test_output_is_a_jpeg_with_matching_fields():
    photo = sanitise_photo(camera_jpeg())
    assert isinstance(photo, SanitisedPhoto)
    out = Image.open(io.BytesIO(photo.jpeg))
    assert out.format == "JPEG" and out.mode == "RGB"
    assert out.size == (photo.width, photo.height) == (640, 480)
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()
    assert len(photo.dhash) == 16 and int(photo.dhash, 16) >= 0


def test_large_photo_is_resized_to_max_side():
    photo = sanitise_photo(camera_jpeg(size=(3000, 1000)), max_side=1024)
    assert (photo.width, photo.height) == (1024, 341)
    assert photo.latitude is not None  # evidence survives the resize


def test_png_is_accepted_and_transparency_flattened_on_white():
    image = scene(4).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 100, 100))
    photo = sanitise_photo(encode(image, "PNG", exif=camera_exif()))
    out = Image.open(io.BytesIO(photo.jpeg))
    assert out.format == "JPEG"
    assert min(out.getpixel((10, 10))) > 240  # transparent corner became white
    assert photo.latitude == pytest.approx(AMSTERDAM[0], abs=1e-6)
    assert photo.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_palette_png_and_webp_are_accepted():
    assert sanitise_photo(encode(scene(5).convert("P"), "PNG")).width == 640
    assert sanitise_photo(encode(scene(5), "WEBP", quality=80)).height == 480


def test_cmyk_jpeg_is_converted_to_rgb():
    photo = sanitise_photo(encode(scene(6).convert("CMYK")))
    assert Image.open(io.BytesIO(photo.jpeg)).mode == "RGB"


# --------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------


def _png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression-bomb probe."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is not a photo\n" * 10, "not a recognised image"),
        (bytes(random.Random(7).randrange(256) for _ in range(5000)), "not a recognised image"),
        (b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x13" * 500, "corrupt"),
        (encode(scene(1), "GIF"), "GIF files are not accepted"),
        (encode(scene(1), "BMP"), "BMP files are not accepted"),
        (encode(scene(1), "TIFF"), "TIFF files are not accepted"),
        (_png_claiming_size(9000, 9000), "limit is 40,000,000 pixels"),
        (_png_claiming_size(60_000, 60_000), "too many pixels"),
    ],
    ids=["empty", "text", "random", "corrupt-jpeg", "gif", "bmp", "tiff", "bomb", "huge-bomb"],
)
def test_rejects_bad_uploads(data, message):
    with pytest.raises(PhotoRejected, match=message):
        sanitise_photo(data)


def test_rejects_truncated_jpeg():
    data = camera_jpeg()
    with pytest.raises(PhotoRejected, match=r"truncated|corrupt"):
        sanitise_photo(data[: len(data) * 2 // 3])


def test_rejects_png_with_bad_checksum():
    data = bytearray(encode(scene(2), "PNG"))
    data[60] ^= 0xFF  # inside the first IDAT chunk
    with pytest.raises(PhotoRejected, match="corrupt"):
        sanitise_photo(bytes(data))


def test_rejects_oversized_file_before_decoding():
    data = camera_jpeg()
    with pytest.raises(PhotoRejected, match="limit is 1,000 bytes"):
        sanitise_photo(data, max_bytes=1000)


def test_rejects_too_many_pixels_with_custom_limit():
    with pytest.raises(PhotoRejected, match="640x480"):
        sanitise_photo(camera_jpeg(), max_pixels=100_000)


def test_photo_rejected_is_a_value_error():
    with pytest.raises(ValueError):
        sanitise_photo(b"nope")


# --------------------------------------------------------------------------------------------
# Near-duplicate detection
# --------------------------------------------------------------------------------------------


def test_resized_reencoded_copy_is_a_near_duplicate():
    original = sanitise_photo(camera_jpeg(seed=11, size=(1600, 1200)))
    copy_image = scene(11, (1600, 1200)).resize((700, 525), Image.Resampling.BILINEAR)
    copy = sanitise_photo(encode(copy_image, quality=55))
    assert original.sha256 != copy.sha256
    assert hamming(original.dhash, copy.dhash) <= 6
    assert is_near_duplicate(original, copy)
    assert is_near_duplicate(original.dhash, copy.dhash)


def test_different_photo_is_not_a_near_duplicate():
    a = sanitise_photo(camera_jpeg(seed=11))
    b = sanitise_photo(camera_jpeg(seed=12))
    assert not is_near_duplicate(a, b)
    assert hamming(a.dhash, b.dhash) > 12


def test_dhash_and_hamming_basics():
    flat = Image.new("RGB", (50, 50), (128, 128, 128))
    assert dhash(flat) == "0000000000000000"
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("00000000000000ff", "0000000000000000") == 8
    assert is_near_duplicate("0000000000000000", "000000000000003f")  # 6 bits
    assert not is_near_duplicate("0000000000000000", "000000000000007f")  # 7 bits
    assert is_near_duplicate("0000000000000000", "000000000000007f", threshold=7)
    with pytest.raises(ValueError):
        hamming("xyz", "0000000000000000")
