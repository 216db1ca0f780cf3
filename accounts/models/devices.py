"""The phones (and browsers) a user receives pushes on."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models.users import User


class PushDevice(models.Model):
    """One app installation's push token. The token is unique: registering it again (the same
    phone after a log-out, or handed to someone else) moves the row, never duplicates it, so
    a phone never gets one message twice or another person's messages."""

    class TokenType(models.TextChoices):
        FCM = "fcm", _("Firebase Cloud Messaging")
        APNS = "apns", _("Apple Push Notification service")

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", _("Web")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="push_devices", verbose_name=_("user")
    )
    token = models.CharField(max_length=512, unique=True, verbose_name=_("token"))
    token_type = models.CharField(
        max_length=8, choices=TokenType.choices, default=TokenType.FCM, verbose_name=_("token type")
    )
    platform = models.CharField(max_length=8, choices=Platform.choices, verbose_name=_("platform"))
    app_version = models.CharField(max_length=32, blank=True, verbose_name=_("app version"))
    locale = models.CharField(max_length=8, blank=True, verbose_name=_("locale"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    last_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last sent at"))

    class Meta:
        verbose_name = _("push device")
        verbose_name_plural = _("push devices")
        ordering = ["user", "id"]

    def __str__(self) -> str:
        return f"{self.platform} device {self.pk} of {self.user_id}"
