"""Content-Security-Policy on the portal, the admin and the public pages; nonces on inline code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _nonces(html: str) -> set[str]:
    return set(re.findall(r'<(?:script|style)[^>]*\snonce="([^"]+)"', html))


@pytest.mark.parametrize("url", ["/", "/partners/login/", "/admin/login/"])
def test_pages_carry_a_strict_policy(url):
    response = Client().get(url)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_inline_code_of_a_portal_page_carries_the_header_s_nonce():
    response = Client().get("/partners/login/")
    html = response.content.decode()

    nonces = _nonces(html)
    assert len(nonces) == 1  # one per response, on every inline <script> and <style>
    nonce = nonces.pop()
    assert f"'nonce-{nonce}'" in _policy(response)["script-src"]
    assert f"'nonce-{nonce}'" in _policy(response)["style-src"]
    inline = re.findall(r"<(?:script|style)\b[^>]*>", html)
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)


def test_every_request_gets_a_new_nonce():
    first = _nonces(Client().get("/").content.decode())
    second = _nonces(Client().get("/").content.decode())
    assert first and second and first != second


def test_templates_have_no_inline_event_handlers_and_no_unnonced_inline_code():
    """A new ``onclick=`` or bare ``<script>`` would be blocked by the policy in browsers."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "nonce=" not in tag and "src=" not in tag:
                offenders.append(f"{path.name}: {tag}")
    assert offenders == []


def test_the_api_docs_load_scripts_from_our_own_origin_only():
    """Swagger UI and ReDoc come from drf-spectacular-sidecar: no CDN in any policy."""
    for url in ("/api/docs/", "/api/redoc/", "/"):
        scripts = _policy(Client().get(url))["script-src"]
        assert all(s == "'self'" or s.startswith("'nonce-") for s in scripts), (url, scripts)


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_unknown_api_route_is_a_json_404_for_every_method(method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
