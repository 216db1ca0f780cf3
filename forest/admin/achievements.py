"""Admin for awarded badges and challenges."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin
from forest.models import (
    Challenge,
    ChallengeParticipation,
    UserBadge,
)
from forest.models.rules import ActionType


@admin.register(UserBadge)
class UserBadgeAdmin(ReadOnlyAdmin):
    """Awards are written by the nightly job only (forest.services.achievements)."""

    list_display = ["user", "badge", "earned_at"]
    list_filter = ["badge", "earned_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "earned_at"


class ChallengeForm(forms.ModelForm):
    action_types = forms.MultipleChoiceField(
        choices=[c for c in ActionType.choices if c[0] != ActionType.NEGATIVE_SIGNAL],
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("action types"),
    )

    class Meta:
        model = Challenge
        fields = [
            "code", "title_en", "title_nl", "text_en", "text_nl", "action_types",
            "target_count", "target_grams", "starts_on", "ends_on", "bonus_grams",
            "campaign", "is_active", "repeats",
        ]  # fmt: skip


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    form = ChallengeForm
    list_display = [
        "code", "title_en", "starts_on", "ends_on", "target_count", "target_grams",
        "bonus_grams", "is_active", "participants",
    ]  # fmt: skip
    list_filter = ["is_active", "starts_on"]
    search_fields = ["code", "title_en", "title_nl"]
    raw_id_fields = ["campaign"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The sponsor link is set when the challenge is created; users joined under it.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "campaign"] if obj is not None else fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_participants=Count("participations"))

    @admin.display(description=gettext_lazy("participants"), ordering="_participants")
    def participants(self, obj) -> int:
        return obj._participants


@admin.register(ChallengeParticipation)
class ChallengeParticipationAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "user", "joined_at", "completed_at", "bonus_grams"]
    list_filter = ["challenge", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "challenge__code"]
    list_select_related = ["challenge", "user"]
