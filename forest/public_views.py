"""Public pages anyone may open, without signing in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from forest.certificates import certificate_by_number, certificate_details


def certificate_public(request: HttpRequest, number: str) -> HttpResponse:
    """Verify a certificate by its number: public facts only (first or display name)."""
    certificate = certificate_by_number(number)
    if certificate is None:
        raise Http404("No such certificate.")
    details = certificate_details(certificate, locale=(get_language() or "en")[:2])
    return render(request, "forest/certificate.html", {"c": details})
