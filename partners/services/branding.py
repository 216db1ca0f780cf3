"""A sponsor's branding: its colour and its logo.

A logo is untrusted input shown in the portal and printed on certificates, so, as with
evidence photos (partners/integrations/photos.py), it is decoded fully with only the PNG and JPEG
decoders enabled, checked for size and dimensions, and re-encoded by Pillow as a fresh PNG
(transparency kept) with no metadata at all: EXIF, ICC profiles, text chunks and comments
are dropped. It is stored in ``Sponsor.logo`` (default storage, ``sponsors/logos/``) and
served only by the portal's logo view, to the sponsor's own members (media files are not
served publicly in production).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalogue.models import Sponsor
from core.locks import lock_rows

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MIN_SIDE = 32
LOGO_MAX_SIDE = 4000  # of the upload; anything larger is refused before decoding
LOGO_STORED_MAX_SIDE = 800  # what is kept: ample for the header and the certificate panel
_FORMATS = ["PNG", "JPEG"]


class LogoRejected(ValueError):
    """The upload is not an acceptable logo; str(exc) is safe to show to the sponsor."""


@dataclass(frozen=True)
class SanitisedLogo:
    png: bytes
    width: int
    height: int
    sha256: str


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError:
        raise LogoRejected(_("Upload a PNG or JPEG image.")) from None
    except Image.DecompressionBombError:
        raise LogoRejected(_("The image has too many pixels.")) from None
    except Exception:
        raise LogoRejected(_("The image is corrupt.")) from None
    width, height = image.size
    if max(width, height) > LOGO_MAX_SIDE:
        raise LogoRejected(
            _("The image is %(w)sx%(h)s pixels; the limit is %(max)s pixels a side.")
            % {"w": width, "h": height, "max": LOGO_MAX_SIDE}
        )
    if min(width, height) < LOGO_MIN_SIDE:
        raise LogoRejected(
            _("The image is too small: at least %(min)s pixels a side.") % {"min": LOGO_MIN_SIDE}
        )
    return image


def sanitise_logo(data: bytes) -> SanitisedLogo:
    """Validate an uploaded logo and return it re-encoded as a metadata-free PNG."""
    if not data:
        raise LogoRejected(_("The file is empty."))
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRejected(
            _("The file is larger than %(mb)s MB.") % {"mb": LOGO_MAX_BYTES // (1024 * 1024)}
        )
    with _open(data) as probe:
        try:
            probe.verify()  # chunk CRCs and structure; leaves the image unusable, hence reopen
        except Exception:
            raise LogoRejected(_("The image is corrupt.")) from None
    with _open(data) as image:
        try:
            image.load()  # every pixel: truncated files fail here
            upright = ImageOps.exif_transpose(image)
        except Exception:
            raise LogoRejected(_("The image is corrupt or truncated.")) from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    clean = upright.convert("RGBA" if has_alpha else "RGB")
    clean.thumbnail((LOGO_STORED_MAX_SIDE, LOGO_STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's info, EXIF or ICC rides along.
    fresh = Image.new(clean.mode, clean.size)
    fresh.paste(clean)
    buf = io.BytesIO()
    fresh.save(buf, "PNG", optimize=True)
    png = buf.getvalue()
    return SanitisedLogo(png, fresh.width, fresh.height, hashlib.sha256(png).hexdigest())


@transaction.atomic
def sponsor_branding_update(
    *, sponsor: Sponsor, brand_colour: str, logo: SanitisedLogo | None, remove_logo: bool = False
) -> Sponsor:
    """Set the colour and replace (or remove) the logo; the old file goes once committed."""
    sponsor = lock_rows(Sponsor.objects).get(pk=sponsor.pk)
    sponsor.brand_colour = brand_colour.lower()
    sponsor.full_clean(validate_unique=False, exclude=["logo"])
    old = sponsor.logo.name if sponsor.logo else ""
    if logo is not None:
        name = f"{sponsor.slug}-{logo.sha256[:12]}.png"
        sponsor.logo.save(name, ContentFile(logo.png), save=False)
    elif remove_logo:
        sponsor.logo = ""
    sponsor.save(update_fields=["brand_colour", "logo", "updated_at"])
    new = sponsor.logo.name if sponsor.logo else ""
    if old and old != new:
        storage = sponsor.logo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return sponsor
