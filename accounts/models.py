"""Identity: users, their profiles and their in-app inbox."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel


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

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Profile(TimeStampedModel):
    class Locale(models.TextChoices):
        EN = "en", "English"
        NL = "nl", "Nederlands"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    locale = models.CharField(max_length=2, choices=Locale.choices, default=Locale.NL)
    time_zone = models.CharField(
        max_length=64, default="Europe/Amsterdam", validators=[validate_time_zone]
    )
    # Friends may take a share of ripe drops unless the user opts out (Ant Forest "steal").
    steal_opt_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.user.email


class Notification(TimeStampedModel):
    """The in-app inbox: nudges, certificates, welcome messages. E-mail mirrors some of them."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        CONSENT_EXPIRING = "consent_expiring", _("Consent expiring")
        CONSENT_EXPIRED = "consent_expired", _("Consent expired")
        TREE = "tree", _("Tree")
        SYSTEM = "system", _("System")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # One notification per reason: retried tasks and reruns never nudge twice.
    dedupe_key = models.CharField(max_length=200, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_notif_user_created")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
