from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request):
    """A landing page that points people to the right door: API docs, portal or admin."""
    return render(request, "home.html")


def team_join(request: HttpRequest) -> HttpResponse:
    """Where team invitation e-mails link to (``/teams/join#token=…``): how to join.

    The token is in the URL's fragment, which browsers never send, so it never reaches this
    view (nor any Referer header); the page's script only copies it into the app's deep link.
    """
    return render(request, "forest/team_join.html")
