"""The few server-rendered pages of the game, open to anyone without signing in."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control

from forest.integrations.imaging import CERTIFICATE_SIZE
from forest.models import Certificate
from forest.selectors.certificates import (
    certificate_by_number,
    certificate_details,
    certificate_photo_jpeg,
    certificate_planting_record,
)
from forest.services.certificates import certificate_png

# How far a planting's evidence goes, as the public certificate page says it.
EVIDENCE_LEVELS = {
    "planted": _("Planted: reported by the planting partner"),
    "verified": _("Verified: a photo taken in the forest, with its GPS position"),
    "survival_checked": _("Verified by photo, and checked for survival since"),
}


def home(request):
    """A landing page that points people to the right door: API docs, portal or admin."""
    return render(request, "home.html")


def team_join(request: HttpRequest) -> HttpResponse:
    """Where team invitation e-mails link to (``/teams/join#token=…``): how to join.

    The token is in the URL's fragment, which browsers never send, so it never reaches this
    view (nor any Referer header); the page's script only copies it into the app's deep link.
    """
    return render(request, "forest/team_join.html")


def _certificate(number: str) -> Certificate:
    certificate = certificate_by_number(number)
    if certificate is None:
        raise Http404("No such certificate.")
    return certificate


def _public_url(path: str) -> str:
    """An absolute URL on the public site (``CANOPY_SITE_URL``), as shared links need."""
    return settings.SITE_URL.rstrip("/") + path


def certificate_public(request: HttpRequest, number: str) -> HttpResponse:
    """Verify a certificate by its number: public facts only (first or display name), the
    planting photo, a small map, the evidence level and the survival checks."""
    certificate = _certificate(number)
    locale = (get_language() or "en")[:2]
    details = certificate_details(certificate, locale=locale)
    record = certificate_planting_record(certificate)
    photo_url = thumb_url = None
    if record and record.has_photo:
        photo_url = reverse("certificate-photo", args=[number, "photo"])
        thumb_url = reverse("certificate-photo", args=[number, "thumb"])
    dead = bool(record and record.survival_checks and not record.survival_checks[-1].alive)
    pins = []
    if details["latitude"] is not None and details["longitude"] is not None:
        pins.append(
            {
                "lat": details["latitude"],
                "lon": details["longitude"],
                "marker": "dead" if dead else (record.state if record else "planted"),
                "species": details["species_name"],
                "state": str(EVIDENCE_LEVELS.get(record.state, "")) if record else "",
                "planted": formats.date_format(details["planted_on"], "SHORT_DATE_FORMAT")
                if details["planted_on"]
                else "",
                "thumb": thumb_url,
                "photo": photo_url,
            }
        )
    map_data = {
        "area": certificate.tree.forest.area,
        "colour": "#2e7d32",
        "pins": pins,
        "tiles": {
            "url": settings.CANOPY_MAP_TILE_URL,
            "attribution": settings.CANOPY_MAP_TILE_ATTRIBUTION,
        },
        "maxZoom": 15,
    }
    page_path = reverse("certificate-public", args=[number])
    context = {
        "c": details,
        "record": record,
        "evidence_level": EVIDENCE_LEVELS.get(record.state, "") if record else "",
        "photo_url": photo_url,
        "map_data": map_data,
        "og_url": _public_url(page_path),
        "og_image": _public_url(reverse("certificate-image", args=[number])),
        "og_image_size": CERTIFICATE_SIZE,
    }
    return render(request, "forest/certificate.html", context)


@cache_control(public=True, max_age=3600)
def certificate_image(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate as a PNG, public like its page: what a shared link previews."""
    certificate = _certificate(number)
    url = _public_url(reverse("certificate-public", args=[number]))
    png = certificate_png(certificate, verification_url=url, locale=(get_language() or "en")[:2])
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.png"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@cache_control(public=True, max_age=86400)
def certificate_photo(request: HttpRequest, number: str, size: str) -> HttpResponse:
    """The tree's planting photo, re-encoded without metadata (``thumb`` or ``photo``)."""
    if size not in ("thumb", "photo"):
        raise Http404("No such size.")
    jpeg = certificate_photo_jpeg(_certificate(number), large=size == "photo")
    if jpeg is None:
        raise Http404("No photo.")
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response
