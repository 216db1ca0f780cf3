"""Achievements: badges users earn once, and challenges operators run in a window.

The badge catalogue lives in code (``forest.services.achievements.BADGES``: one set-based rule
per badge); a ``UserBadge`` row records that a user earned one. Challenges are operator data:
users join them, green actions booked in the window count towards them, and the nightly
evaluation completes them and pays their bonus exactly once (ledger key
``challenge:<id>:user:<id>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from forest.models.rules import ActionType

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BadgeCode(models.TextChoices):
    FIRST_GREEN_ACTION = "first_green_action", _("First green choice")
    RAIL_10 = "rail_10", _("Ten train trips")
    WEEKLY_STREAK_4 = "weekly_streak_4", _("Four green weeks in a row")
    CO2_5KG = "co2_5kg", _("5 kg CO2e avoided")
    FIRST_TREE_PLANTED = "first_tree_planted", _("First tree planted")
    FIRST_CO_PLANTED = "first_co_planted", _("First tree planted together")
    FIRST_WATERING = "first_watering", _("First friend watered")


class UserBadge(models.Model):
    """A badge a user earned; written only by the nightly award statements (once per badge)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="badges",
        db_index=False,  # the (user, badge) unique constraint indexes it
        verbose_name=_("user"),
    )
    badge = models.CharField(max_length=40, choices=BadgeCode.choices, verbose_name=_("badge"))
    earned_at = models.DateTimeField(verbose_name=_("earned at"))

    class Meta:
        verbose_name = _("awarded badge")
        verbose_name_plural = _("awarded badges")
        ordering = ["-earned_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "badge"], name="forest_userbadge_once")
        ]
        indexes = [
            # The admin's filter by badge, newest first.
            models.Index(fields=["badge", "-earned_at"], name="forest_userbadge_badge"),
        ]

    def __str__(self) -> str:
        return gettext("%(badge)s for user %(user)s") % {
            "badge": self.get_badge_display(),
            "user": self.user_id,
        }


def validate_action_types(value) -> None:
    valid = set(ActionType.values) - {ActionType.NEGATIVE_SIGNAL}
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Choose at least one action type."))
    unknown = sorted(set(value) - valid)
    if unknown:
        raise ValidationError(
            _("Unknown action types: %(types)s"), params={"types": ", ".join(unknown)}
        )


class ChallengeQuerySet(models.QuerySet["Challenge"]):
    def open_on(self, day) -> ChallengeQuerySet:
        """Active challenges whose window contains ``day``."""
        return self.filter(is_active=True, starts_on__lte=day, ends_on__gte=day)


class Challenge(TimeStampedModel):
    """An operator's challenge: ``target_count`` green actions or ``target_grams`` of them,
    of the given action types, booked between ``starts_on`` and ``ends_on`` (both included)."""

    code = models.SlugField(max_length=64, unique=True, verbose_name=_("code"))
    title_en = models.CharField(max_length=120, verbose_name=_("title en"))
    title_nl = models.CharField(max_length=120, verbose_name=_("title nl"))
    text_en = models.TextField(blank=True, verbose_name=_("text en"))
    text_nl = models.TextField(blank=True, verbose_name=_("text nl"))
    action_types = models.JSONField(
        default=list,
        validators=[validate_action_types],
        help_text=_('Green action types that count, e.g. ["rail", "public_transport"]'),
        verbose_name=_("action types"),
    )
    target_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Number of green actions to reach (or give target grams)"),
        verbose_name=_("target count"),
    )
    target_grams = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Grams of avoided CO2e to reach (or give a target count)"),
        verbose_name=_("target grams"),
    )
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"))
    bonus_grams = models.PositiveIntegerField(
        default=0,
        help_text=_("Energy credited once on completion; 0 for none"),
        verbose_name=_("bonus grams"),
    )
    campaign = models.ForeignKey(
        "catalogue.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The sponsor campaign behind this challenge, if any"),
        verbose_name=_("campaign"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Repeats(models.TextChoices):
        NEVER = "", _("Never")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    # A rolling challenge: when its window ends, the nightly run opens the next one
    # (forest.services.challenges.challenges_roll), a copy with the date in its code.
    repeats = models.CharField(
        max_length=8,
        choices=Repeats.choices,
        blank=True,
        default="",
        help_text=_("Open the same challenge again for the next week or month when this ends"),
        verbose_name=_("repeats"),
    )

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="forest_challenge_window",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="forest_challenge_one_target",
                condition=models.Q(target_count__gt=0, target_grams__isnull=True)
                | models.Q(target_count__isnull=True, target_grams__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The window must end on or after its start.")
        if bool(self.target_count) == bool(self.target_grams):
            errors["target_count"] = _("Give either a target count or target grams (not both).")
        if errors:
            raise ValidationError(errors)

    def title_for(self, locale: str) -> str:
        return self.title_nl if locale == "nl" and self.title_nl else self.title_en

    def text_for(self, locale: str) -> str:
        return self.text_nl if locale == "nl" and self.text_nl else self.text_en

    @property
    def target(self) -> int:
        return self.target_count or self.target_grams or 0


class ChallengeParticipation(models.Model):
    """A user who joined a challenge; ``completed_at`` is set once, by the nightly evaluation."""

    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.PROTECT,
        related_name="participations",
        db_index=False,  # the (challenge, user) unique constraint indexes it
        verbose_name=_("challenge"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="challenge_participations",
        verbose_name=_("user"),
    )
    joined_at = models.DateTimeField(verbose_name=_("joined at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    bonus_grams = models.PositiveIntegerField(
        default=0, help_text=_("Bonus credited on completion"), verbose_name=_("bonus grams")
    )

    class Meta:
        verbose_name = _("challenge participation")
        verbose_name_plural = _("challenge participations")
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"], name="forest_challenge_join_once")
        ]

    def __str__(self) -> str:
        return gettext("User %(user)s in challenge %(challenge)s") % {
            "user": self.user_id,
            "challenge": self.challenge_id,
        }
