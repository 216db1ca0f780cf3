"""Every page loads its scripts and stylesheets from our own origin: the API docs work
offline, a content security policy can say 'self', and no third party sees who reads what."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.models import User
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.forest.tree_factories import BrandForestFactory, TreeFactory
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory
from tests.partners.portal_helpers import order_in_state

pytestmark = pytest.mark.django_db


class _AssetLinks(HTMLParser):
    """Collects the src of <script> and the href of <link rel=stylesheet|preload|icon…>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            rel = (values.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload", "icon")):
                self.urls.append(values["href"] or "")


def foreign_assets(html: str) -> list[str]:
    """The script and stylesheet URLs of ``html`` that point to another origin."""
    parser = _AssetLinks()
    parser.feed(html)
    return [u for u in parser.urls if urlsplit(u).netloc or u.startswith("//")]


def test_the_parser_catches_a_cdn_script_and_stylesheet():
    html = (
        '<script src="https://cdn.example/x.js"></script><script src="/static/a.js"></script>'
        '<link rel="stylesheet" href="//cdn.example/x.css"><link rel="stylesheet" href="b.css">'
    )
    assert foreign_assets(html) == ["https://cdn.example/x.js", "//cdn.example/x.css"]


def _certificate_number() -> str:
    forest = BrandForestFactory(name="Amsterdamse Bos")
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    tree.refresh_from_db()
    return tree.certificate.number


def test_no_page_loads_a_script_or_stylesheet_from_another_origin(client):
    member = SponsorMembershipFactory()
    sponsor = member.sponsor
    forest = BrandForestFactory(sponsor=sponsor)
    order_in_state(forest, "verified", alive=True)
    campaign = CampaignFactory(sponsor=sponsor)
    certificate = _certificate_number()

    public = ["/", "/api/docs/", "/api/redoc/", f"/certificates/{certificate}"]
    client.force_login(member.user)
    portal = [
        f"/partners/{sponsor.slug}/",
        f"/partners/{sponsor.slug}/forests/",
        f"/partners/{sponsor.slug}/forests/{forest.id}/",
        f"/partners/{sponsor.slug}/campaigns/",
        f"/partners/{sponsor.slug}/campaigns/{campaign.id}/",
    ]
    admin_user = User.objects.create_superuser(email="ops@canopy.local", password="x" * 12)
    admin = [
        "/admin/",
        "/admin/partners/plantingorder/",
        "/admin/catalogue/sponsor/",
        "/admin/django_celery_beat/periodictask/",
    ]
    checked = 0
    for url in public + portal:
        response = client.get(url)
        assert response.status_code == 200, url
        assert foreign_assets(response.content.decode()) == [], url
        checked += 1
    client.force_login(admin_user)
    for url in admin:
        response = client.get(url)
        assert response.status_code == 200, url
        assert foreign_assets(response.content.decode()) == [], url
        checked += 1
    assert checked == len(public + portal + admin)


def test_the_api_docs_serve_swagger_and_redoc_from_our_static_files(client):
    docs = client.get("/api/docs/").content.decode()
    redoc = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc
    # Swagger UI's start-up script is a file too (no inline script for a CSP to allow).
    assert '<script src="/api/docs/?script="></script>' in docs
    assert client.get("/api/docs/?script=")["Content-Type"].startswith("application/javascript")
