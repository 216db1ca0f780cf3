"""The in-app inbox and the outbox of e-mails and pushes held for quiet hours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models.users import User
from core.models import TimeStampedModel


class Notification(TimeStampedModel):
    """The in-app inbox: nudges, certificates, welcome messages. E-mail mirrors some of them."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        CONSENT_EXPIRING = "consent_expiring", _("Consent expiring")
        CONSENT_EXPIRED = "consent_expired", _("Consent expired")
        TREE = "tree", _("Tree")
        SYSTEM = "system", _("System")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    # One notification per reason: retried tasks and reruns never nudge twice.
    dedupe_key = models.CharField(max_length=200, unique=True, verbose_name=_("dedupe key"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_notif_user_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class OutboundMessage(models.Model):
    """An e-mail or push waiting for delivery: an e-mail held through the user's quiet hours,
    or a push for ``accounts.services.push``. The release and push tasks claim each row by
    setting ``sent_at`` (conditionally, and on PostgreSQL under FOR UPDATE SKIP LOCKED), so a
    message goes out once however many workers run it; ``outcome`` records what became of a
    push."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PUSH = "push", _("Push")

    class Outcome(models.TextChoices):
        """What became of a push (accounts.services.push); e-mails leave it empty."""

        SENT = "sent", _("Sent")
        NO_DEVICE = "no_device", _("No device registered")
        SWITCHED_OFF = "switched_off", _("Topic or push switched off, or account closed")
        OVER_BUDGET = "over_budget", _("Daily push budget used up")
        RATE_LIMITED = "rate_limited", _("Too soon after the last one of its topic")
        STALE = "stale", _("Too old to send")
        FAILED = "failed", _("Failed")
        CHANNEL_OFF = "channel_off", _("Push channel not configured")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="outbound_messages", verbose_name=_("user")
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, verbose_name=_("channel"))
    topic = models.CharField(max_length=16, verbose_name=_("topic"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    not_before = models.DateTimeField(verbose_name=_("not before"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    dedupe_key = models.CharField(max_length=220, unique=True, verbose_name=_("dedupe key"))
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, blank=True, verbose_name=_("outcome")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["not_before", "id"]
        indexes = [
            # Used by outbound_release_task (due, unsent e-mails) and a push gateway.
            models.Index(
                fields=["channel", "not_before"],
                name="accounts_outbound_due",
                condition=models.Q(sent_at__isnull=True),
            ),
            # The daily push budget and the topics' rate limits: a user's pushes sent lately.
            models.Index(
                fields=["user", "sent_at"],
                name="accounts_outbound_push_sent",
                condition=models.Q(channel="push", outcome="sent"),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(channel)s to user %(user)s: %(topic)s") % {
            "channel": self.get_channel_display(),
            "user": self.user_id,
            "topic": self.topic,
        }


# ---------------------------------------------------------------------------------------------
# Linked feeds, consent and transactions
# ---------------------------------------------------------------------------------------------
