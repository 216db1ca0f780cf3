"""The partner portal: server-rendered pages for sponsor brands."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from partners.selectors import sponsor_for_member, sponsors_for_member


class PortalLoginView(auth_views.LoginView):
    template_name = "partners/login.html"
    redirect_authenticated_user = True


@login_required
def dashboard(request):
    sponsors = sponsors_for_member(request.user)
    if len(sponsors) == 1:
        return redirect("partners:sponsor", slug=sponsors[0].slug)
    return render(request, "partners/dashboard.html", {"sponsors": sponsors})


@login_required
def sponsor_overview(request, slug: str):
    sponsor = sponsor_for_member(request.user, slug)
    return render(request, "partners/sponsor_overview.html", {"sponsor": sponsor})
