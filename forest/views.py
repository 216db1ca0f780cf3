"""The few server-rendered pages of the game, open to anyone without signing in."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from forest.selectors.certificates import certificate_by_number, certificate_details


def home(request):
    """A landing page that points people to the right door: API docs, portal or admin."""
    return render(request, "home.html")


def team_join(request: HttpRequest) -> HttpResponse:
    """Where team invitation e-mails link to (``/teams/join#token=…``): how to join.

    The token is in the URL's fragment, which browsers never send, so it never reaches this
    view (nor any Referer header); the page's script only copies it into the app's deep link.
    """
    return render(request, "forest/team_join.html")


def certificate_public(request: HttpRequest, number: str) -> HttpResponse:
    """Verify a certificate by its number: public facts only (first or display name)."""
    certificate = certificate_by_number(number)
    if certificate is None:
        raise Http404("No such certificate.")
    details = certificate_details(certificate, locale=(get_language() or "en")[:2])
    return render(request, "forest/certificate.html", {"c": details})
