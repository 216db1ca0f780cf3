"""Admin for teams and their invitations, trees and certificates (species: catalogue.admin)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from forest.models import Certificate, Tree
from forest.models.trees import Team, TeamInvitation, TeamMembership, TreeContribution


class TreeContributionInline(admin.TabularInline):
    model = TreeContribution
    extra = 0
    can_delete = False
    readonly_fields = ["user", "grams", "created_at"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    readonly_fields = ["user", "status", "joined_at", "created_at"]
    fields = tuple(readonly_fields)
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamInvitationInline(admin.TabularInline):
    model = TeamInvitation
    extra = 0
    readonly_fields = ["email", "invited_user", "invited_by", "status", "expires_at", "created_at"]
    fields = tuple(readonly_fields)
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    """Co-planting teams; members join and leave through the app only."""

    list_display = ["id", "name", "created_by", "created_at"]
    search_fields = ["name", "created_by__email", "memberships__user__email"]
    list_select_related = ["created_by"]
    inlines = [TeamMembershipInline, TeamInvitationInline]


@admin.register(TeamInvitation)
class TeamInvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent, answered and revoked through the app; only a hash of the token."""

    list_display = [
        "id", "team", "email", "invited_user", "invited_by", "status", "expires_at",
        "responded_at", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "expires_at", "created_at"]
    search_fields = ["email", "team__name", "invited_user__email", "invited_by__email"]
    list_select_related = ["team", "invited_user", "invited_by"]
    readonly_fields = [
        "team", "email", "invited_user", "invited_by", "status", "token_hash", "expires_at",
        "responded_at", "accepted_by", "created_at", "updated_at",
    ]  # fmt: skip
    fields = tuple(readonly_fields)
    date_hierarchy = "created_at"


@admin.register(Tree)
class TreeAdmin(ReadOnlyAdmin):
    """Trees change only through growing, funding and planting (forest.services.trees)."""

    # What fits at 1280 px: the forest and the team are filters and on the tree's page.
    list_display = ["id", "owner", "species", "status", "energy_grams", "matured_at"]
    list_filter = ["status", "species", "forest", ("team", admin.EmptyFieldListFilter)]
    search_fields = ["owner__email", "forest__name", "species__code", "team__name"]
    list_select_related = ["owner", "species", "forest__sponsor", "team"]
    raw_id_fields = ["owner", "team"]
    date_hierarchy = "created_at"
    inlines = [TreeContributionInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "tree", "issued_at"]
    list_filter = ["issued_at"]
    search_fields = ["number", "tree__owner__email"]
    list_select_related = ["tree__species"]


# --------------------------------------------------------------------------------------------
# Fraud review
# --------------------------------------------------------------------------------------------
