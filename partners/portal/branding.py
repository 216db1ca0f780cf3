"""Portal pages for a sponsor's branding: the colour and logo editor, and the logo itself.

The logo is served only here, to members of its own sponsor (404 for anyone else), from the
sanitised PNG in ``Sponsor.logo``; media files are not served publicly in production.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partners.portal.base import portal_context, require_admin
from partners.portal.forms import BrandingForm
from partners.selectors.sponsors import sponsor_for_member
from partners.services.branding import sponsor_branding_update


@login_required
@require_http_methods(["GET", "POST"])
def branding_edit(request: HttpRequest, slug: str) -> HttpResponse:
    ctx = portal_context(request, slug, section="branding")
    require_admin(ctx)
    sponsor = ctx["sponsor"]
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            sponsor_branding_update(
                sponsor=sponsor,
                brand_colour=form.cleaned_data["brand_colour"],
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
            messages.success(request, _("Branding saved."))
            return redirect("partners:branding", slug=slug)
    else:
        form = BrandingForm(initial={"brand_colour": sponsor.brand_colour})
    ctx.update(
        form=form,
        title=_("Branding"),
        intro=_(
            "Your colour and logo appear in the portal's header; the logo is also printed on "
            "your forests' tree certificates."
        ),
        submit_label=_("Save branding"),
        multipart=True,
        show_logo=True,
    )
    return render(request, "partners/form_page.html", ctx)


@login_required
@require_GET
def sponsor_logo(request: HttpRequest, slug: str) -> FileResponse:
    sponsor = sponsor_for_member(request.user, slug)
    if not sponsor.logo:
        raise Http404("No logo.")
    try:
        fh = sponsor.logo.open("rb")
    except OSError as exc:
        raise Http404("No logo.") from exc
    # Logos are stored as PNG; one uploaded before sanitising existed may still be a JPEG.
    jpeg = sponsor.logo.name.lower().endswith((".jpg", ".jpeg"))
    response = FileResponse(fh, content_type="image/jpeg" if jpeg else "image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    # The URL carries ?v=<version>, so a new logo is a new URL; private: members only.
    response["Cache-Control"] = "private, max-age=86400"
    return response
