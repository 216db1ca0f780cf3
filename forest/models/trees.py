"""Trees: the species a user can grow, the trees themselves, and their planting certificates."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Team(TimeStampedModel):
    """Friends (2 to 10) who grow one tree together, each from their own balance (co-planting)."""

    MIN_MEMBERS = 2
    MAX_MEMBERS = 10

    name = models.CharField(max_length=80, verbose_name=_("name"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="teams_created",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(TimeStampedModel):
    """One person's place in a team: invited until they accept; a left member stays on record."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Member")
        DECLINED = "declined", _("Declined")
        LEFT = "left", _("Left")
        # Every invitation of theirs was revoked or ran out before they answered.
        EXPIRED = "expired", _("Invitation ended")

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="team_memberships",
        verbose_name=_("user"),
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.INVITED, verbose_name=_("status")
    )
    joined_at = models.DateTimeField(null=True, blank=True, verbose_name=_("joined at"))

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["team", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="forest_team_member_once")
        ]
        indexes = [
            # teams_for_user and the "active member of the tree's team" checks.
            models.Index(fields=["user", "status"], name="forest_teammember_user")
        ]

    def __str__(self) -> str:
        return gettext("User %(user)s in team %(team)s: %(status)s") % {
            "user": self.user_id,
            "team": self.team_id,
            "status": self.get_status_display(),
        }


class TeamInvitationQuerySet(models.QuerySet["TeamInvitation"]):
    def pending(self, now: datetime) -> TeamInvitationQuerySet:
        """Open invitations: not answered, revoked or past their date (expiry is lazy)."""
        return self.filter(status=TeamInvitation.Status.PENDING, expires_at__gt=now)


class TeamInvitation(TimeStampedModel):
    """One invitation to a team, by e-mail address or (for a known friend) by user.

    An e-mail invitation looks the same to the team whether or not the address has an
    account: ``invited_user`` is only for delivery and for accepting from the app. The token
    is sent once (in the e-mail to an address without an account) and stored as a SHA-256 only.
    Expiry is evaluated when the invitation is read or used; no sweep is needed.
    """

    TTL = timedelta(days=14)

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("team")
    )
    email = models.EmailField(
        blank=True, help_text=_("Lower-case; empty when invited by user"), verbose_name=_("email")
    )
    invited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="team_invitations",
        verbose_name=_("invited user"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="team_invitations_sent",
        verbose_name=_("invited by"),
    )
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("token hash")
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    responded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When it was accepted, declined, revoked or expired"),
        verbose_name=_("responded at"),
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    objects = TeamInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="forest_invitation_has_invitee",
                condition=~models.Q(email="") | models.Q(invited_user__isnull=False),
            ),
            # Inviting an address again while its invitation is open is a no-op, not a 2nd seat.
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(status="pending") & ~models.Q(email=""),
                name="forest_invitation_open_email_once",
            ),
        ]
        indexes = [
            # Seats taken and the team's invitation list (team_invitation_list).
            models.Index(fields=["team", "status"], name="forest_invitation_team"),
        ]

    def __str__(self) -> str:
        return gettext("Invitation %(id)s to team %(team)s: %(status)s") % {
            "id": self.pk,
            "team": self.team_id,
            "status": self.get_status_display(),
        }

    @staticmethod
    def hash_token(token: str) -> str:
        # Tokens are 256 random bits: a fast hash is enough (as for partner API keys).
        return hashlib.sha256(token.encode()).hexdigest()

    def current_status(self, now: datetime) -> str:
        """The status, with a pending invitation past its date shown as expired."""
        if self.status == self.Status.PENDING and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status


class TreeQuerySet(models.QuerySet["Tree"]):
    def for_owner(self, user_id: int) -> TreeQuerySet:
        return self.filter(owner_id=user_id)

    def visible_to(self, user_id: int) -> TreeQuerySet:
        """Own personal trees, trees of teams the user is a member of, and trees they grew."""
        active_team = TeamMembership.objects.filter(
            team_id=models.OuterRef("team_id"),
            user_id=user_id,
            status=TeamMembership.Status.ACTIVE,
        )
        contributed = TreeContribution.objects.filter(
            tree_id=models.OuterRef("pk"), user_id=user_id
        )
        return self.filter(
            models.Q(team__isnull=True, owner_id=user_id)
            | models.Q(team__isnull=False)
            & (models.Exists(active_team) | models.Exists(contributed))
        )

    def growable_by(self, user_id: int) -> TreeQuerySet:
        """Trees the user may grow: their personal trees and their active teams' trees."""
        active_team = TeamMembership.objects.filter(
            team_id=models.OuterRef("team_id"),
            user_id=user_id,
            status=TeamMembership.Status.ACTIVE,
        )
        return self.filter(
            models.Q(team__isnull=True, owner_id=user_id)
            | models.Q(team__isnull=False) & models.Exists(active_team)
        )


class Tree(TimeStampedModel):
    """A user's tree in a brand forest. Grams reach it only through GROW ledger entries.

    ``energy_grams`` always equals the sum of the owner's GROW entries keyed to this tree
    (``grow:tree:<id>:…``); growing stops at the species' cost. Whether a matured tree is
    funded is whether it has an active planting order (partners.PlantingOrder), not a status.
    """

    class Status(models.TextChoices):
        GROWING = "growing", _("Growing")
        MATURED = "matured", _("Matured")
        PLANTED = "planted", _("Planted")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="trees",
        help_text=_("For a team tree: the member who started it"),
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trees",
        verbose_name=_("team"),
    )
    species = models.ForeignKey(
        "catalogue.Species",
        on_delete=models.PROTECT,
        related_name="trees",
        verbose_name=_("species"),
    )
    forest = models.ForeignKey(
        "catalogue.BrandForest",
        on_delete=models.PROTECT,
        related_name="trees",
        verbose_name=_("forest"),
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.GROWING, verbose_name=_("status")
    )
    energy_grams = models.PositiveIntegerField(default=0, verbose_name=_("energy grams"))
    matured_at = models.DateTimeField(null=True, blank=True, verbose_name=_("matured at"))

    objects = TreeQuerySet.as_manager()

    class Meta:
        verbose_name = _("tree")
        verbose_name_plural = _("trees")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(status="growing", team__isnull=True),
                name="forest_tree_one_growing_per_owner",
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(status="growing", team__isnull=False),
                name="forest_tree_one_growing_per_team",
            ),
            models.CheckConstraint(
                name="forest_tree_matured_has_date",
                condition=models.Q(status="growing") | models.Q(matured_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return gettext("Tree %(id)s: %(species)s, %(grams)s g, %(status)s") % {
            "id": self.pk,
            "species": self.species.name((get_language() or "en")[:2]),
            "grams": number_format(self.energy_grams, force_grouping=True),
            "status": self.get_status_display(),
        }


class TreeContribution(models.Model):
    """How many grams one person grew into a tree (kept for team trees).

    A cache of the ledger, like ``Tree.energy_grams``: raised only by ``tree_grow`` under the
    tree's row lock, so a team tree's contributions always add up to its ``energy_grams``.
    """

    tree = models.ForeignKey(
        Tree, on_delete=models.CASCADE, related_name="contributions", verbose_name=_("tree")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tree_contributions",
        verbose_name=_("user"),
    )
    grams = models.PositiveIntegerField(default=0, verbose_name=_("grams"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("tree contribution")
        verbose_name_plural = _("tree contributions")
        ordering = ["tree", "-grams", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tree", "user"], name="forest_contribution_once")
        ]

    def __str__(self) -> str:
        return gettext("User %(user)s: %(grams)s g into tree %(tree)s") % {
            "user": self.user_id,
            "grams": number_format(self.grams, force_grouping=True),
            "tree": self.tree_id,
        }


class Certificate(models.Model):
    """Proof of a planted tree, verifiable by anyone at /certificates/<number>."""

    number = models.CharField(max_length=32, unique=True, verbose_name=_("number"))
    tree = models.OneToOneField(
        Tree, on_delete=models.PROTECT, related_name="certificate", verbose_name=_("tree")
    )
    issued_at = models.DateTimeField(verbose_name=_("issued at"))

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number
