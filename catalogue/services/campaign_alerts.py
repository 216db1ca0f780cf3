"""Telling a quarantined campaign's owner, and the operators (issue 16, finding 3).

When nightly scoring switches a campaign off because the database refused its regex
(``forest.scoring.quarantine``), every member of the sponsor's team gets an e-mail in their
own language with the campaign, the reason and where to fix it; the operators (``ADMINS``)
get one line per campaign through ``mail_admins`` (per rule: ``forest.scoring.quarantine``).
The portal shows the same reason on the campaign list and the campaign
(templates/partners/campaign_*.html); the admin lists the reason, with a "quarantined" filter.

Subjects carry no text a sponsor typed (issue 16, finding 5); the campaign's name is in the
body only. Sent after the quarantine commits, so a rolled-back chunk sends nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from catalogue.models import Campaign, SponsorMembership

logger = logging.getLogger(__name__)


def _portal_url(campaign: Campaign) -> str:
    base = settings.SITE_URL.rstrip("/")
    try:
        return base + reverse("partners:campaign", args=[campaign.sponsor.slug, campaign.pk])
    except NoReverseMatch:  # the portal is not installed
        return base + "/partners/"


def campaign_quarantine_notify(*, campaign_id: int) -> int:
    """E-mail the sponsor's team that their campaign was switched off, and why; returns the
    number of members written to. Call after the quarantine has committed."""
    campaign = Campaign.objects.select_related("sponsor").filter(pk=campaign_id).first()
    if campaign is None or not campaign.quarantine_reason:
        return 0
    members = (
        SponsorMembership.objects.filter(sponsor_id=campaign.sponsor_id, user__is_active=True)
        .select_related("user__profile")
        .order_by("user_id")
    )
    url = _portal_url(campaign)
    sent = 0
    for membership in members:
        user = membership.user
        profile = getattr(user, "profile", None)
        with translation.override(getattr(profile, "locale", None) or settings.LANGUAGE_CODE):
            subject = _("Canopy paused one of your campaigns")
            body = _(
                "Nightly scoring could not run the description pattern of your campaign "
                "“%(name)s”, so Canopy switched the campaign off to keep scoring going for "
                "everyone.\n\nWhy: %(reason)s\n\nFix the pattern and switch the campaign on "
                "again in the partner portal:\n%(url)s\n"
            ) % {"name": campaign.name, "reason": campaign.quarantine_reason, "url": url}
        send_mail(subject, body, None, [user.email])
        sent += 1
    mail_admins(
        "Scoring quarantined a campaign",
        f"Campaign {campaign.pk} of sponsor {campaign.sponsor_id} was switched off: "
        f"{campaign.quarantine_reason}\nIts team ({sent} members) was told. Admin: "
        f"{settings.SITE_URL.rstrip('/')}/admin/catalogue/campaign/{campaign.pk}/change/",
    )
    logger.warning(
        "told sponsor %s's team about quarantined campaign %s", campaign.sponsor_id, campaign.pk
    )
    return sent
