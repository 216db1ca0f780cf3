"""Users (e-mail login) and their profiles."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.timezones import DEFAULT_TIME_ZONE, LimitDay, limit_day


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Everyone who logs in: consumers (API), sponsor members (portal), operators (admin)."""

    username = None  # type: ignore[assignment]  # e-mail login: AbstractUser's column removed
    email = models.EmailField(_("e-mail address"), unique=True)
    # Set when the user proved they read this address (accounts.services.email_verification);
    # until then they cannot send invitations, which e-mail other people.
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # not auth's

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Profile(TimeStampedModel):
    class Locale(models.TextChoices):
        EN = "en", "English"
        NL = "nl", "Nederlands"

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    display_name = models.CharField(max_length=80, blank=True, verbose_name=_("display name"))
    locale = models.CharField(
        max_length=2, choices=Locale.choices, default=Locale.NL, verbose_name=_("locale")
    )
    time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        verbose_name=_("time zone"),
    )
    city = models.CharField(
        max_length=80, blank=True, help_text=_("For city campaigns"), verbose_name=_("city")
    )
    # The day in progress when the time zone last changed (core.timezones.limit_day): daily
    # limits keep counting in it until it ends, so a new zone cannot start a new day early.
    limit_day_pinned = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("limit day kept at zone change")
    )
    limit_day_pinned_start = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("kept limit day start")
    )
    limit_day_pinned_end = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("kept limit day end")
    )
    # Friends may take a share of ripe drops unless the user opts out (Ant Forest "steal").
    steal_opt_out = models.BooleanField(default=False, verbose_name=_("steal opt out"))
    # Notification preferences (accounts.services.notifications). The inbox is always on; consent
    # reminders always go by e-mail (legally required); sponsor news needs an opt-in (ePrivacy).
    email_enabled = models.BooleanField(default=True, verbose_name=_("e-mail enabled"))
    push_enabled = models.BooleanField(default=True, verbose_name=_("push enabled"))
    notify_energy = models.BooleanField(default=True, verbose_name=_("energy notifications"))
    notify_trees = models.BooleanField(default=True, verbose_name=_("tree notifications"))
    notify_teams = models.BooleanField(default=True, verbose_name=_("team notifications"))
    notify_sponsors = models.BooleanField(default=False, verbose_name=_("sponsor news"))
    quiet_hours_enabled = models.BooleanField(default=True, verbose_name=_("quiet hours enabled"))
    quiet_hours_start = models.TimeField(default=time(22, 0), verbose_name=_("quiet hours start"))
    quiet_hours_end = models.TimeField(default=time(8, 0), verbose_name=_("quiet hours end"))

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.user.email

    def limit_day_at(self, now: datetime) -> LimitDay:
        """The day the user's daily limits count in at ``now`` (see core.timezones)."""
        return limit_day(now, self.time_zone, self.limit_day_pin)

    @property
    def limit_day_pin(self) -> LimitDay | None:
        if self.limit_day_pinned is None or self.limit_day_pinned_start is None:
            return None
        assert self.limit_day_pinned_end is not None
        return LimitDay(
            self.limit_day_pinned, self.limit_day_pinned_start, self.limit_day_pinned_end
        )
