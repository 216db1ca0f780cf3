"""Server-rendered pages of accounts: the one-click unsubscribe link of e-mails."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.services.notifications import TOPIC_LABELS, topic_unsubscribe, unsubscribe_read


@csrf_exempt  # the signed token is the authority; mail clients POST without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (link scanners fetch links; they must not unsubscribe);
    POST, from the button or a mail client's one-click (RFC 8058), turns the topic's e-mail off.
    No login: the token is signed per user and topic."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    user_id, topic = found
    done = False
    if request.method == "POST":
        topic_unsubscribe(user_id=user_id, topic=topic)
        done = True
    return render(
        request,
        "accounts/unsubscribe.html",
        {"topic_label": TOPIC_LABELS[topic], "done": done},
    )
