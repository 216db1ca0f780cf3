"""The branding editor: brand colour and a sanitised logo, shown in the portal header."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalogue.models import Sponsor, SponsorMembership
from partners.services.branding import LOGO_STORED_MAX_SIDE, LogoRejected, sanitise_logo
from tests.partners.factories import SponsorFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db


def _image(fmt: str, size=(300, 120), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    buf = io.BytesIO()
    image.save(buf, fmt, **save)
    return buf.getvalue()


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x013B] = "Jan de Vries"  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 21.0, 0.0)
    return _image("JPEG", exif=exif.tobytes(), comment=b"secret comment")


def _upload(data: bytes, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _post(portal, sponsor, data: bytes | None = None, colour="#1b5e20", **extra):
    payload = {"brand_colour": colour, **extra}
    if data is not None:
        payload["logo"] = _upload(data)
    return portal.post(f"/partners/{sponsor.slug}/branding/", payload)


def test_admin_sets_colour_and_logo_and_the_header_shows_them(portal, sponsor):
    assert portal.get(f"/partners/{sponsor.slug}/branding/").status_code == 200

    response = _post(portal, sponsor, _image("PNG", mode="RGBA"), colour="#1B5E20")

    assert response.status_code == 302
    sponsor.refresh_from_db()
    assert sponsor.brand_colour == "#1b5e20"
    assert sponsor.logo.name.startswith(f"sponsors/logos/{sponsor.slug}-")
    html = portal.get(f"/partners/{sponsor.slug}/").content.decode()
    assert "--green: #1b5e20;" in html
    assert f'<img class="brand-logo" src="/partners/{sponsor.slug}/branding/logo.png?v=' in html

    logo = portal.get(f"/partners/{sponsor.slug}/branding/logo.png")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(b"".join(logo.streaming_content))) as served:
        assert served.format == "PNG" and served.mode == "RGBA" and served.size == (300, 120)


def test_a_jpeg_logo_is_re_encoded_without_any_metadata(portal, sponsor):
    assert _post(portal, sponsor, _jpeg_with_exif()).status_code == 302
    sponsor.refresh_from_db()
    with sponsor.logo.open("rb") as fh:
        stored = fh.read()
    assert b"SpyCam" not in stored and b"Jan de Vries" not in stored and b"secret" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert not image.getexif()
        assert "icc_profile" not in image.info and "exif" not in image.info


def test_a_large_logo_is_scaled_down_to_the_stored_size():
    logo = sanitise_logo(_image("PNG", size=(3000, 1000)))
    assert (logo.width, logo.height) == (LOGO_STORED_MAX_SIDE, 267)  # 800 / 3, rounded


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_image("GIF"), "Upload a PNG or JPEG image."),
        (_image("WEBP"), "Upload a PNG or JPEG image."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Upload a PNG or JPEG image."),
        (_image("PNG")[:300], "corrupt"),
        (_image("PNG", size=(4001, 40)), "the limit is 4000 pixels a side"),
        (_image("PNG", size=(20, 200)), "at least 32 pixels a side"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "larger than 2 MB"),
    ],
    ids=["gif", "webp", "svg", "truncated", "too-wide", "too-small", "too-big"],
)
def test_anything_else_is_refused_with_a_clear_error(portal, sponsor, data, message):
    response = _post(portal, sponsor, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    sponsor.refresh_from_db()
    assert not sponsor.logo and sponsor.brand_colour == "#2e7d32"
    with pytest.raises(LogoRejected):
        sanitise_logo(data)


def test_a_bad_colour_is_refused(portal, sponsor):
    response = _post(portal, sponsor, colour="red;} body{display:none")
    assert response.status_code == 200
    assert "Use a colour like #2e7d32." in response.content.decode()
    assert Sponsor.objects.get(pk=sponsor.pk).brand_colour == "#2e7d32"


def test_the_logo_can_be_replaced_and_removed(portal, sponsor, django_capture_on_commit_callbacks):
    _post(portal, sponsor, _image("PNG"))
    sponsor.refresh_from_db()
    first = sponsor.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        _post(portal, sponsor, _image("PNG", size=(200, 200)))
    sponsor.refresh_from_db()
    assert sponsor.logo.name != first
    assert not sponsor.logo.storage.exists(first)  # the old file goes once committed

    assert _post(portal, sponsor, remove_logo="on").status_code == 302
    sponsor.refresh_from_db()
    assert not sponsor.logo
    assert portal.get(f"/partners/{sponsor.slug}/branding/logo.png").status_code == 404
    assert (
        '<img class="brand-logo"' not in portal.get(f"/partners/{sponsor.slug}/").content.decode()
    )


def test_analysts_cannot_edit_branding_but_see_the_logo(client, sponsor):
    analyst = SponsorMembershipFactory(sponsor=sponsor, role=SponsorMembership.Role.ANALYST)
    client.force_login(analyst.user)
    url = f"/partners/{sponsor.slug}/branding/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"brand_colour": "#000000"}).status_code == 403
    assert Sponsor.objects.get(pk=sponsor.pk).brand_colour == "#2e7d32"
    assert "Branding" not in client.get(f"/partners/{sponsor.slug}/").content.decode()


def test_another_sponsors_branding_and_logo_are_404(portal, sponsor):
    other = SponsorFactory()
    other_member = SponsorMembershipFactory(sponsor=other)
    from django.test import Client

    theirs = Client()
    theirs.force_login(other_member.user)
    _post(theirs, other, _image("PNG"))
    assert Sponsor.objects.get(pk=other.pk).logo

    assert portal.get(f"/partners/{other.slug}/branding/").status_code == 404
    assert (
        portal.post(f"/partners/{other.slug}/branding/", {"brand_colour": "#000000"}).status_code
        == 404
    )
    assert portal.get(f"/partners/{other.slug}/branding/logo.png").status_code == 404
    assert Sponsor.objects.get(pk=other.pk).brand_colour == "#1b5e20"


def test_the_logo_needs_a_login(client, sponsor):
    response = client.get(f"/partners/{sponsor.slug}/branding/logo.png")
    assert response.status_code == 302 and "/partners/login/" in response["Location"]


def test_a_logo_uploaded_in_the_admin_is_sanitised_too(admin_client):
    sponsor = SponsorFactory(slug="groen")
    url = f"/admin/catalogue/sponsor/{sponsor.pk}/change/"
    form = {
        "name": sponsor.name,
        "slug": sponsor.slug,
        "brand_colour": "#2e7d32",
        "is_active": "on",
        "website": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    gif = admin_client.post(url, {**form, "logo": _upload(_image("GIF"), "logo.gif")})
    assert gif.status_code == 200 and "Upload a PNG or JPEG image." in gif.content.decode()

    response = admin_client.post(url, {**form, "logo": _upload(_jpeg_with_exif(), "x.jpg")})

    assert response.status_code == 302
    sponsor.refresh_from_db()
    assert sponsor.logo.name.startswith("sponsors/logos/groen-")
    with sponsor.logo.open("rb") as fh:
        stored = fh.read()
    assert stored.startswith(b"\x89PNG") and b"SpyCam" not in stored
