"""Planting certificates as PNGs: a certificate's facts drawn by the imaging integration."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from forest.integrations.imaging import render_certificate
from forest.selectors.certificates import certificate_details

if TYPE_CHECKING:
    from forest.models import Certificate

logger = logging.getLogger(__name__)


def _logo_bytes(sponsor) -> bytes | None:
    if not sponsor.logo:
        return None
    try:
        with sponsor.logo.open("rb") as fh:
            return fh.read()
    except OSError:
        logger.warning("sponsor %s logo unreadable; certificate without it", sponsor.pk)
        return None


def certificate_png(
    certificate: Certificate, *, verification_url: str, locale: str = "en"
) -> bytes:
    details = certificate_details(certificate, locale=locale)
    return render_certificate(
        number=details["number"],
        holder_names=details["holders"],
        species_name=details["species_name"],
        species_latin=details["species_latin"],
        forest_name=details["forest_name"],
        sponsor_name=details["sponsor_name"],
        sponsor_logo=_logo_bytes(certificate.tree.forest.sponsor),
        latitude=details["latitude"],
        longitude=details["longitude"],
        planted_on=details["planted_on"],
        verified_on=details["verified_on"],
        verification_url=verification_url,
        locale=locale,
    )
