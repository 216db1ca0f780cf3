"""Sponsor campaigns: bonus energy for matching purchases, within a budget in grams."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalogue.models.matchers import (
    validate_mcc_list,
    validate_regex,
    validate_string_list,
)
from catalogue.models.sponsors import Sponsor
from core.models import TimeStampedModel


class Campaign(TimeStampedModel):
    """A sponsor's bonus energy for its green products or stores, in a window, within a budget.

    ``spent_grams`` is raised only under the campaign's row lock, by at most what is left, so the
    budget is never exceeded: by scoring (the campaign's share of green actions) and by claim code
    batches, which reserve all their codes' grams when created (ClaimCodeBatch.reserved_grams).
    """

    class Segment(models.TextChoices):
        ALL = "all", _("Everyone")
        NEW_USERS = "new_users", _("New users (joined in the last 30 days)")
        CITY = "city", _("Users in a city")
        DORMANT = "dormant", _("Users who have not earned in 30 days")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("sponsor")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    match_merchants = models.JSONField(default=list, blank=True, verbose_name=_("match merchants"))
    match_mccs = models.JSONField(default=list, blank=True, verbose_name=_("match mccs"))
    match_description_regex = models.CharField(
        max_length=300, blank=True, verbose_name=_("match description regex")
    )
    bonus_grams = models.PositiveIntegerField(
        default=0, help_text=_("Added per matching purchase"), verbose_name=_("bonus grams")
    )
    multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Applied to the green action's own grams (1 = no change)"),
        verbose_name=_("multiplier"),
    )
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"))
    segment = models.CharField(
        max_length=16, choices=Segment.choices, default=Segment.ALL, verbose_name=_("segment")
    )
    segment_city = models.CharField(max_length=80, blank=True, verbose_name=_("segment city"))
    budget_grams = models.PositiveBigIntegerField(verbose_name=_("budget grams"))
    spent_grams = models.PositiveBigIntegerField(
        default=0, editable=False, verbose_name=_("spent grams")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # Set by scoring when the database refused this campaign's regex: it was switched off.
    quarantine_reason = models.CharField(
        max_length=300, blank=True, editable=False, verbose_name=_("quarantine reason")
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                name="catalogue_campaign_within_budget",
                condition=models.Q(spent_grams__lte=models.F("budget_grams")),
            ),
            models.CheckConstraint(
                name="catalogue_campaign_window",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="catalogue_campaign_multiplier", condition=models.Q(multiplier__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    def clean(self) -> None:
        validate_string_list(self.match_merchants)
        validate_mcc_list(self.match_mccs)
        validate_regex(self.match_description_regex)
        if not (self.match_merchants or self.match_mccs or self.match_description_regex):
            raise ValidationError(_("A campaign needs at least one matcher."))
        if self.segment == self.Segment.CITY and not self.segment_city:
            raise ValidationError({"segment_city": _("Name the city.")})
        if self.bonus_grams == 0 and self.multiplier == 1:
            raise ValidationError(_("Give a bonus or a multiplier above 1."))

    @property
    def remaining_grams(self) -> int:
        return self.budget_grams - self.spent_grams
