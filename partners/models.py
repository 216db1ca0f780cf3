"""Sponsor brands and the people who act for them in the partner portal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel


class SponsorQuerySet(models.QuerySet["Sponsor"]):
    def for_member(self, user) -> SponsorQuerySet:
        return self.filter(memberships__user=user)


class Sponsor(TimeStampedModel):
    """A brand that funds forests and runs campaigns."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    brand_colour = models.CharField(max_length=7, default="#2e7d32", help_text="#rrggbb")
    logo = models.ImageField(upload_to="sponsors/logos/", blank=True)
    is_active = models.BooleanField(default=True)

    objects = SponsorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SponsorMembership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        ANALYST = "analyst", _("Analyst (read-only)")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sponsor_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        ordering = ["sponsor", "user"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "user"], name="partners_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"
