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


class Campaign(TimeStampedModel):
    """A sponsor's bonus energy for its green products or stores, in a window, within a budget.

    ``spent_grams`` is raised only by scoring, under a row lock, by at most what is left, so the
    budget is never exceeded; it always equals the sum of the campaign's share of green actions.
    """

    class Segment(models.TextChoices):
        ALL = "all", _("Everyone")
        NEW_USERS = "new_users", _("New users (joined in the last 30 days)")
        CITY = "city", _("Users in a city")
        DORMANT = "dormant", _("Users who have not earned in 30 days")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=120)
    match_merchants = models.JSONField(default=list, blank=True)
    match_mccs = models.JSONField(default=list, blank=True)
    match_description_regex = models.CharField(max_length=300, blank=True)
    bonus_grams = models.PositiveIntegerField(default=0, help_text=_("Added per matching purchase"))
    multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Applied to the green action's own grams (1 = no change)"),
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.ALL)
    segment_city = models.CharField(max_length=80, blank=True)
    budget_grams = models.PositiveBigIntegerField()
    spent_grams = models.PositiveBigIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                name="partners_campaign_within_budget",
                condition=models.Q(spent_grams__lte=models.F("budget_grams")),
            ),
            models.CheckConstraint(
                name="partners_campaign_window",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="partners_campaign_multiplier", condition=models.Q(multiplier__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from forest.models.rules import _validate_regex, validate_mcc_list, validate_string_list

        validate_string_list(self.match_merchants)
        validate_mcc_list(self.match_mccs)
        _validate_regex(self.match_description_regex)
        if not (self.match_merchants or self.match_mccs or self.match_description_regex):
            raise ValidationError(_("A campaign needs at least one matcher."))
        if self.segment == self.Segment.CITY and not self.segment_city:
            raise ValidationError({"segment_city": _("Name the city.")})
        if self.bonus_grams == 0 and self.multiplier == 1:
            raise ValidationError(_("Give a bonus or a multiplier above 1."))

    @property
    def remaining_grams(self) -> int:
        return self.budget_grams - self.spent_grams
