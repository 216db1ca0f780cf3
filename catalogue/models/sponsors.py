"""Sponsor brands and the people who use the partner portal for them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class SponsorQuerySet(models.QuerySet["Sponsor"]):
    def for_member(self, user) -> SponsorQuerySet:
        return self.filter(memberships__user=user)


class Sponsor(TimeStampedModel):
    """A brand that funds forests and runs campaigns."""

    name = models.CharField(max_length=120, verbose_name=_("name"))
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    website = models.URLField(blank=True, verbose_name=_("website"))
    # Rendered into the portal's <style>: only a #rrggbb value may get there.
    brand_colour = models.CharField(
        max_length=7,
        default="#2e7d32",
        help_text=_("#rrggbb"),
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", message=_("Use a colour like #2e7d32."))],
        verbose_name=_("brand colour"),
    )
    logo = models.ImageField(upload_to="sponsors/logos/", blank=True, verbose_name=_("logo"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    objects = SponsorQuerySet.as_manager()

    class Meta:
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SponsorMembership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        ANALYST = "analyst", _("Analyst (read-only)")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("sponsor")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sponsor_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        max_length=16, choices=Role.choices, default=Role.ADMIN, verbose_name=_("role")
    )

    class Meta:
        verbose_name = _("sponsor membership")
        verbose_name_plural = _("sponsor memberships")
        ordering = ["sponsor", "user"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "user"], name="catalogue_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"
