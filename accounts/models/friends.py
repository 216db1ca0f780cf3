"""Friendships and the personal invite codes that make them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models.users import User
from core.models import TimeStampedModel


class FriendshipQuerySet(models.QuerySet["Friendship"]):
    def involving(self, user_id: int) -> FriendshipQuerySet:
        return self.filter(models.Q(user_low_id=user_id) | models.Q(user_high_id=user_id))

    def accepted(self) -> FriendshipQuerySet:
        return self.filter(status=Friendship.Status.ACCEPTED)

    def live(self) -> FriendshipQuerySet:
        """Accepted, between two accounts that still exist (a deleted account is deactivated
        and anonymous: it is nobody's friend any more)."""
        return self.accepted().filter(user_low__is_active=True, user_high__is_active=True)

    def between(self, a: int, b: int) -> FriendshipQuerySet:
        low, high = sorted((a, b))
        return self.filter(user_low_id=low, user_high_id=high)


class Friendship(TimeStampedModel):
    """Two users who are friends (or one asked the other). One row per pair, whoever asked:
    the pair is stored in id order (``user_low`` < ``user_high``), so (a, b) and (b, a) are
    the same row and the unique constraint holds in either order."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")

    user_low = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (user_low, user_high) constraint indexes it
        verbose_name=_("user (lower id)"),
    )
    user_high = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user (higher id)")
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status")
    )
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))

    objects = FriendshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("friendship")
        verbose_name_plural = _("friendships")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="accounts_friend_pair"),
            models.CheckConstraint(
                name="accounts_friend_ordered_pair",
                condition=models.Q(user_low__lt=models.F("user_high")),
            ),
        ]

    def __str__(self) -> str:
        return gettext("Users %(a)s and %(b)s: %(status)s") % {
            "a": self.user_low_id,
            "b": self.user_high_id,
            "status": self.get_status_display(),
        }

    def other(self, user_id: int) -> int:
        return self.user_high_id if self.user_low_id == user_id else self.user_low_id


class FriendInvite(TimeStampedModel):
    """A personal invite code: whoever redeems it (once, before it expires) becomes the
    inviter's friend. Only the code's SHA-256 is stored; the code is shown once, to the
    inviter, who passes it on in person or by message. No one is ever looked up by e-mail."""

    TTL_DAYS = 7

    inviter = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="friend_invites", verbose_name=_("inviter")
    )
    code_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("code hash")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    used_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used by"),
    )

    class Meta:
        verbose_name = _("friend invite")
        verbose_name_plural = _("friend invites")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("Friend invitation %(id)s from user %(user)s") % {
            "id": self.pk,
            "user": self.inviter_id,
        }
