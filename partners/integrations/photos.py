"""Sanitising evidence photos uploaded by planting partners.

Partner photos are untrusted input that we later show to users, so every upload is decoded
fully, re-encoded as a plain JPEG and stripped of all metadata except what we use as evidence:
when (DateTimeOriginal) and where (GPS) the photo was taken.  Camera serial numbers, owner
names, thumbnails (which can show an uncropped original) and maker notes are dropped.

Pure Pillow, no Django: callable from views, Celery tasks and scripts alike.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError
from PIL.TiffImagePlugin import IFDRational

__all__ = [
    "PhotoRejected",
    "SanitisedPhoto",
    "dhash",
    "hamming",
    "is_near_duplicate",
    "sanitise_photo",
]

JPEG_QUALITY = 85
# Pillow names multi-picture JPEGs (many phone cameras) "MPO"; they are JPEGs for our purposes.
_ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP")
# Only used to word the error message when Pillow cannot identify the bytes.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif")


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; str(exc) is safe to show to the partner."""


@dataclass(frozen=True, slots=True)
class SanitisedPhoto:
    """A re-encoded, metadata-stripped photo plus the evidence extracted from it."""

    jpeg: bytes
    width: int
    height: int
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    dhash: str
    sha256: str


# --------------------------------------------------------------------------------------------
# Perceptual hash
# --------------------------------------------------------------------------------------------


def dhash(image: Image.Image) -> str:
    """64-bit difference hash as 16 hex chars: survives resizing and re-encoding.

    The image is shrunk to 9x8 greyscale and each bit records whether a pixel is brighter
    than its right-hand neighbour, so it captures structure rather than exact bytes.
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


_HASH_RE = re.compile(r"[0-9a-fA-F]{16}")


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two dhash strings."""
    for value in (a, b):
        if not isinstance(value, str) or not _HASH_RE.fullmatch(value):
            raise ValueError(f"expected a 16-character hex dhash, got {value!r}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_near_duplicate(a: str | SanitisedPhoto, b: str | SanitisedPhoto, threshold: int = 6) -> bool:
    """True when two photos (or their dhashes) differ in at most `threshold` bits.

    6 of 64 bits tolerates resizing and recompression while telling different scenes apart.
    """
    ha = a.dhash if isinstance(a, SanitisedPhoto) else a
    hb = b.dhash if isinstance(b, SanitisedPhoto) else b
    return hamming(ha, hb) <= threshold


# --------------------------------------------------------------------------------------------
# EXIF evidence: capture time and GPS
# --------------------------------------------------------------------------------------------

_EXIF_DATETIME_RE = re.compile(r"\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET_RE = re.compile(r"\s*([+-])(\d{2}):(\d{2})\s*")


def _as_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal as an aware UTC datetime; OffsetTimeOriginal applied, else UTC."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    text = _as_text(sub.get(ExifTags.Base.DateTimeOriginal))
    match = _EXIF_DATETIME_RE.match(text or "")
    if not match:
        return None
    tz = UTC
    offset = _EXIF_OFFSET_RE.fullmatch(_as_text(sub.get(ExifTags.Base.OffsetTimeOriginal)) or "")
    if offset:
        sign = -1 if offset[1] == "-" else 1
        delta = timedelta(hours=int(offset[2]), minutes=int(offset[3]))
        if delta < timedelta(hours=24):
            tz = timezone(sign * delta)
    try:  # cameras without a set clock write "0000:00:00 00:00:00"
        taken = datetime(*(int(part) for part in match.groups()), tzinfo=tz)  # type: ignore[misc, arg-type]  # six groups
    except ValueError:
        return None
    return taken.astimezone(UTC)


def _dms_to_degrees(dms: object, ref: object, negative_ref: str) -> float | None:
    """(degrees, minutes, seconds) rationals plus N/S or E/W to signed decimal degrees."""
    if not isinstance(dms, tuple | list) or not 1 <= len(dms) <= 3:
        return None
    try:
        parts = [float(part) for part in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(p) and p >= 0 for p in parts):  # x/0 rationals come back as NaN
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if (_as_text(ref) or "").upper().startswith(negative_ref):
        degrees = -degrees
    return degrees


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _dms_to_degrees(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S"
    )
    lon = _dms_to_degrees(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W"
    )
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # "null island": devices write this when they had no fix
        return None, None
    return round(lat, 7), round(lon, 7)  # 7 decimals is ~1 cm: more is noise


def _read_evidence(image: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """Capture time and position, or Nones: broken EXIF is missing evidence, not a bad photo."""
    try:
        exif = image.getexif()
        taken_at = _taken_at(exif)
        latitude, longitude = _gps(exif)
    except Exception:
        return None, None, None
    return taken_at, latitude, longitude


def _degrees_to_dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    milli_arcsec = round(abs(value) * 3_600_000)  # 1/1000 arc second is ~3 cm
    degrees, rest = divmod(milli_arcsec, 3_600_000)
    minutes, milli = divmod(rest, 60_000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(milli, 1000)


def _evidence_exif(
    taken_at: datetime | None, latitude: float | None, longitude: float | None
) -> bytes:
    """A fresh EXIF block holding only the capture time and GPS position.

    Built from the parsed values rather than copied entries, so nothing else can ride along.
    """
    exif = Image.Exif()
    if taken_at is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = taken_at.astimezone(UTC).strftime("%Y:%m:%d %H:%M:%S")
        sub[ExifTags.Base.OffsetTimeOriginal] = "+00:00"
    if latitude is not None and longitude is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSVersionID] = b"\x02\x02\x00\x00"
        gps[ExifTags.GPS.GPSLatitudeRef] = "S" if latitude < 0 else "N"
        gps[ExifTags.GPS.GPSLatitude] = _degrees_to_dms(latitude)
        gps[ExifTags.GPS.GPSLongitudeRef] = "W" if longitude < 0 else "E"
        gps[ExifTags.GPS.GPSLongitude] = _degrees_to_dms(longitude)
    if taken_at is None and latitude is None:
        return b""  # nothing worth keeping: write no EXIF segment at all
    return exif.tobytes()


# --------------------------------------------------------------------------------------------
# Decoding and normalising pixels
# --------------------------------------------------------------------------------------------


def _sniff_format(data: bytes) -> str | None:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC/AVIF"
    return None


def _open(data: bytes) -> Image.Image:
    """Open with only the accepted decoders enabled: other parsers never see the bytes."""
    try:
        return Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
    except UnidentifiedImageError:
        sniffed = _sniff_format(data)
        if sniffed in _ACCEPTED_FORMATS:
            raise PhotoRejected(
                f"the {sniffed} file is corrupt: its header cannot be read"
            ) from None
        if sniffed:
            raise PhotoRejected(
                f"{sniffed} files are not accepted; upload a JPEG, PNG or WebP photo"
            ) from None
        raise PhotoRejected("the file is not a recognised image") from None
    except Image.DecompressionBombError as exc:
        raise PhotoRejected("the image has too many pixels to decode safely") from exc
    except Exception as exc:  # any parser failure on untrusted bytes means "corrupt"
        raise PhotoRejected(f"the image is corrupt ({exc})") from exc


def _check_header(image: Image.Image, max_pixels: int) -> None:
    if image.format not in _ACCEPTED_FORMATS:
        raise PhotoRejected(f"{image.format} files are not accepted; upload a JPEG, PNG or WebP")
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoRejected("the image has no pixels")
    if width * height > max_pixels:
        raise PhotoRejected(
            f"the image is {width}x{height} ({width * height:,} pixels); "
            f"the limit is {max_pixels:,} pixels"
        )


def _decode(data: bytes, max_pixels: int, max_side: int) -> Image.Image:
    """Check structure (verify), then decode every pixel (load) so truncation is caught.

    Relies on Pillow's default ImageFile.LOAD_TRUNCATED_IMAGES = False.
    """
    with _open(data) as probe:
        _check_header(probe, max_pixels)
        try:
            probe.verify()  # checks chunk CRCs etc.; leaves the image unusable, hence reopen
        except Exception as exc:
            raise PhotoRejected(f"the image is corrupt ({exc})") from exc
    image = _open(data)
    _check_header(image, max_pixels)
    try:
        if image.format in ("JPEG", "MPO"):
            image.draft(None, (max_side, max_side))  # DCT-domain downscale: faster, less RAM
        image.load()
    except Exception as exc:  # e.g. "image file is truncated"
        image.close()
        raise PhotoRejected(f"the image is corrupt or truncated ({exc})") from exc
    return image


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Bring pixels into 8-bit sRGB on white: the only thing a bare JPEG can express."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):  # 16-bit greyscale PNG
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "L", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image,
                source,
                _SRGB,
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # broken or mismatched profile: fall back to treating pixels as sRGB
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def sanitise_photo(
    data: bytes,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    max_side: int = 2048,
) -> SanitisedPhoto:
    """Validate an uploaded photo and return a clean JPEG plus its time, place and hashes.

    Raises PhotoRejected (a ValueError) for anything that is too big, not a JPEG/PNG/WebP,
    corrupt, truncated or a decompression bomb.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise PhotoRejected("the file is empty")
    if len(data) > max_bytes:
        raise PhotoRejected(f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if max_side < 16:
        raise ValueError("max_side must be at least 16")

    with _decode(data, max_pixels, max_side) as decoded:
        taken_at, latitude, longitude = _read_evidence(decoded)
        try:
            image = ImageOps.exif_transpose(decoded)  # always a new image, upright
        except Exception:  # malformed EXIF: the pixels are still good, keep them as stored
            image = decoded.copy()

    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image = _to_srgb(image)
    image.info.clear()  # Pillow re-emits info["comment"] etc. on save: start from nothing

    buf = io.BytesIO()
    image.save(
        buf,
        "JPEG",
        quality=JPEG_QUALITY,
        optimize=True,
        exif=_evidence_exif(taken_at, latitude, longitude),
    )
    jpeg = buf.getvalue()
    return SanitisedPhoto(
        jpeg=jpeg,
        width=image.width,
        height=image.height,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
        dhash=dhash(image),
        sha256=hashlib.sha256(jpeg).hexdigest(),
    )


def photo_thumbnail(data: bytes, *, max_side: int) -> bytes:
    """A smaller JPEG of a stored evidence photo for pages, without any metadata.

    Stored photos keep their evidence EXIF (time and place) for operators; what pages show
    carries none of it. Raises PhotoRejected if the stored file cannot be decoded.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
            image = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoRejected(f"the stored photo cannot be decoded: {exc}") from exc
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80, optimize=True)
    return buf.getvalue()
