from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forest.models import (
    Certificate,
    Challenge,
    ChallengeParticipation,
    CurrencyRate,
    EnergyBalance,
    EnergyDrop,
    EnergyHold,
    EnergyLedgerEntry,
    EnergyTransfer,
    FraudSignal,
    GreenAction,
    GreenActionRule,
    GreenActionRuleVersion,
    LedgerAudit,
    ScoringChunk,
    ScoringRun,
    Species,
    Tree,
    UserBadge,
)
from forest.models.rules import ActionType
from forest.models.trees import Team, TeamInvitation, TeamMembership, TreeContribution
from forest.services.rules import rule_save


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by services only; operators read it here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RuleVersionInline(admin.TabularInline):
    model = GreenActionRuleVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "created_at", "snapshot"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GreenActionRule)
class GreenActionRuleAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name_en", "action_type", "priority", "estimate_kind", "daily_cap_grams",
        "awards_energy", "is_active", "version", "updated_at",
    ]  # fmt: skip
    list_filter = ["action_type", "estimate_kind", "awards_energy", "is_active"]
    search_fields = ["code", "name_en", "name_nl", "match_merchants", "match_mccs", "source"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [RuleVersionInline]
    actions = ["test_against_recent", "rescore_last_30_days"]

    def save_model(self, request, obj, form, change) -> None:
        rule_save(rule=obj)

    @admin.action(description=gettext_lazy("Test against the last 500 transactions"))
    def test_against_recent(self, request, queryset) -> None:
        from forest.services.rule_testing import rule_test

        for rule in queryset:
            examined, hits = rule_test(rule=rule, limit=500)
            examples = ", ".join(
                f"{h.transaction.merchant_name or h.transaction.merchant_norm} "
                f"{h.transaction.amount} → {h.grams} g"
                for h in hits[:8]
            )
            context = {"rule": rule.code, "hits": len(hits), "examined": examined}
            if examples:
                text = _(
                    "%(rule)s: matches %(hits)s of %(examined)s recent transactions "
                    "(e.g. %(examples)s)"
                ) % {**context, "examples": examples}
            else:
                text = _("%(rule)s: matches %(hits)s of %(examined)s recent transactions") % context
            self.message_user(request, text, messages.INFO)

    @admin.action(description=gettext_lazy("Re-score actions of older versions (last 30 days)"))
    def rescore_last_30_days(self, request, queryset) -> None:
        from forest.scoring.jobs import scoring_run_inline
        from forest.services.rescoring import rescore_request

        today = timezone.localdate()
        marked, run = rescore_request(
            date_from=today - timedelta(days=30),
            date_to=today,
            rule_ids=list(queryset.values_list("id", flat=True)),
        )
        result = scoring_run_inline(run)
        self.message_user(
            request,
            _(
                "Re-scored %(marked)s actions: %(new)s new actions, %(reversals)s reversals, "
                "all as ledger entries."
            )
            % {"marked": marked, "new": result.green_actions, "reversals": result.reversals},
            messages.SUCCESS,
        )


@admin.register(GreenAction)
class GreenActionAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "user", "action_type", "rule", "rule_version", "booking_date", "amount",
        "currency", "estimated_grams", "base_grams", "campaign_grams", "grams", "reversed_at",
    ]  # fmt: skip
    list_filter = ["action_type", "booking_date", "reversal_reason", "campaign"]
    search_fields = ["user__email", "rule__code", "transaction__provider_txn_id"]
    list_select_related = ["user", "rule"]
    date_hierarchy = "booking_date"
    raw_id_fields = ["transaction", "user", "drop"]


@admin.register(EnergyDrop)
class EnergyDropAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "user", "action_type", "grams", "remaining", "status", "ripe_at", "expires_at",
    ]  # fmt: skip
    list_filter = ["status", "action_type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "ripe_at"


@admin.register(EnergyLedgerEntry)
class EnergyLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "account",
        "kind",
        "grams",
        "memo",
        "idempotency_key",
        "created_at",
    ]
    list_filter = ["account", "kind", "created_at"]
    search_fields = ["user__email", "idempotency_key", "memo"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting a huge ledger on every page view is wasteful


@admin.register(EnergyTransfer)
class EnergyTransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "from_user", "to_user", "grams", "drop", "tree", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["from_user__email", "to_user__email"]
    list_select_related = ["from_user", "to_user", "drop", "tree"]
    date_hierarchy = "created_at"


@admin.register(EnergyBalance)
class EnergyBalanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "account", "grams"]
    list_filter = ["account"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(LedgerAudit)
class LedgerAuditAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "balances_checked", "drift_count"]
    actions = ["run_audit"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=gettext_lazy("Run the ledger audit now"))
    def run_audit(self, request, queryset) -> None:
        from forest.services.energy import ledger_audit

        audit = ledger_audit()
        level = messages.ERROR if audit.drift_count else messages.SUCCESS
        text = _("%(n)s balances drift from the ledger.") % {"n": audit.drift_count}
        self.message_user(request, text, level)


class ScoringChunkInline(admin.TabularInline):
    model = ScoringChunk
    extra = 0
    can_delete = False
    readonly_fields = [
        "user_id_from", "user_id_to", "status", "transactions_scored", "green_actions",
        "grams_awarded", "reversals", "skipped", "skipped_examples", "finished_at",
    ]  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "triggered_by", "status", "started_at", "finished_at", "chunk_summary"]
    list_filter = ["status", "triggered_by"]
    inlines = [ScoringChunkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("chunks")

    @admin.display(description=gettext_lazy("chunks"))
    def chunk_summary(self, run) -> str:
        chunks = list(run.chunks.all())
        done = sum(1 for c in chunks if c.status == "done")
        scored = sum(c.transactions_scored for c in chunks)
        return _("%(done)s/%(total)s done, %(scored)s transactions") % {
            "done": done,
            "total": len(chunks),
            "scored": scored,
        }


@admin.register(CurrencyRate)
class CurrencyRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "eur_per_unit", "source", "updated_at"]
    search_fields = ["currency"]


# --------------------------------------------------------------------------------------------
# Trees
# --------------------------------------------------------------------------------------------


@admin.register(Species)
class SpeciesAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_nl", "latin_name", "energy_cost_grams", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_en", "name_nl", "latin_name"]


class TreeContributionInline(admin.TabularInline):
    model = TreeContribution
    extra = 0
    can_delete = False
    readonly_fields = ["user", "grams", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    readonly_fields = ["user", "status", "joined_at", "created_at"]
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamInvitationInline(admin.TabularInline):
    model = TeamInvitation
    extra = 0
    readonly_fields = ["email", "invited_user", "invited_by", "status", "expires_at", "created_at"]
    fields = readonly_fields
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
    fields = readonly_fields
    date_hierarchy = "created_at"


@admin.register(Tree)
class TreeAdmin(ReadOnlyAdmin):
    """Trees change only through growing, funding and planting (forest.services.trees)."""

    list_display = [
        "id", "owner", "team", "species", "forest", "status", "energy_grams", "matured_at",
        "created_at",
    ]  # fmt: skip
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
    list_select_related = ["tree"]


# --------------------------------------------------------------------------------------------
# Fraud review
# --------------------------------------------------------------------------------------------


def _user_links(user_id: int) -> str:
    """Links to what the reviewer needs to judge a user: ledger, green actions, feeds, holds."""
    query = f"?user__id__exact={user_id}"
    links = [
        (reverse("admin:forest_energyledgerentry_changelist") + query, _("ledger entries")),
        (reverse("admin:forest_greenaction_changelist") + query, _("green actions")),
        (reverse("admin:forest_energydrop_changelist") + query, _("drops")),
        (reverse("admin:accounts_linkedfeed_changelist") + query, _("linked feeds")),
        (reverse("admin:forest_energyhold_changelist") + query, _("holds")),
    ]
    return format_html_join(" · ", '<a href="{}">{}</a>', links)


def _shared_feed_links(feed_ids: list) -> str:
    """Each shared feed as provider:account, linking to every feed of that account."""
    from accounts.models import LinkedFeed

    feeds = reverse("admin:accounts_linkedfeed_changelist")
    return format_html_join(
        ", ",
        '<a href="{}?{}">{}:{}</a>',
        (
            (
                feeds,
                urlencode({"provider": f.provider, "account_ref": f.account_ref}),
                f.provider,
                f.account_ref,
            )
            for f in LinkedFeed.objects.filter(id__in=feed_ids).order_by("id")
        ),
    )


@admin.register(FraudSignal)
class FraudSignalAdmin(admin.ModelAdmin):
    """Signals come from the nightly sweep; operators review them with the actions below and
    may keep a note. Energy is never edited: reversals are ledger entries."""

    list_display = [
        "id", "user", "kind", "severity", "score", "status", "on_hold", "first_seen_at",
        "last_seen_at", "reviewed_by", "reviewed_at",
    ]  # fmt: skip
    list_filter = ["kind", "status", "severity"]
    search_fields = ["user__email"]
    list_select_related = ["user", "reviewed_by"]
    date_hierarchy = "last_seen_at"
    fields = [
        "user", "user_links", "kind", "severity", "score", "status", "details_display",
        "first_seen_at", "last_seen_at", "reviewed_by", "reviewed_at", "review_note",
    ]  # fmt: skip
    readonly_fields = [f for f in fields if f != "review_note"]
    actions = ["dismiss", "confirm_and_freeze", "confirm_and_reverse", "release_hold"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("forest.change_fraudsignal")

    def save_model(self, request, obj, form, change) -> None:
        obj.save(update_fields=["review_note"])  # the note is all an operator edits here

    def get_queryset(self, request):
        active = EnergyHold.objects.filter(user_id=OuterRef("user_id"), released_at__isnull=True)
        return super().get_queryset(request).annotate(user_on_hold=Exists(active))

    @admin.display(description=gettext_lazy("on hold"), boolean=True)
    def on_hold(self, signal) -> bool:
        return signal.user_on_hold

    @admin.display(description=gettext_lazy("review"))
    def user_links(self, signal) -> str:
        return _user_links(signal.user_id)

    @admin.display(description=gettext_lazy("details"))
    def details_display(self, signal) -> str:
        labels = {
            "window_days": _("window (days)"),
            "snipe_seconds": _("snipe threshold (seconds after ripe)"),
            "collects": _("collects"),
            "sniped_collects": _("collects within the threshold"),
            "days_with_snipes": _("days with such collects"),
            "fastest_seconds": _("fastest (seconds after ripe)"),
            "refunds": _("refunds clawing energy back"),
            "grams_clawed_back": _("grams clawed back"),
            "grams_earned": _("grams earned"),
            "rules": _("rules involved"),
            "capped_days": _("days the cap was hit with many small payments"),
            "transactions_on_capped_days": _("payments on those days"),
            "action_types": _("action types"),
            "users_sharing": _("users linking the same account"),
            "feeds": _("the user's feeds on shared accounts"),
        }
        rows = []
        for key, value in (signal.details or {}).items():
            if key == "feeds" and isinstance(value, list):
                shown = _shared_feed_links(value)
            elif isinstance(value, list):
                shown = ", ".join(str(v) for v in value)
            else:
                shown = value
            rows.append((labels.get(key, key), shown))
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    def _report(self, request, result, done: str) -> None:
        self.message_user(request, done, messages.SUCCESS if result.signals else messages.INFO)
        if result.skipped:
            self.message_user(
                request,
                _("%(n)s selected signals were already reviewed and were left as they are.")
                % {"n": result.skipped},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Dismiss (not fraud)"), permissions=["review"])
    def dismiss(self, request, queryset) -> None:
        from forest.services.fraud import fraud_signals_dismiss

        ids = list(queryset.values_list("id", flat=True))
        result = fraud_signals_dismiss(signal_ids=ids, reviewer=request.user)
        self._report(request, result, _("Dismissed %(n)s signals.") % {"n": result.signals})

    @admin.action(
        description=gettext_lazy("Confirm and freeze (the user can no longer collect)"),
        permissions=["review"],
    )
    def confirm_and_freeze(self, request, queryset) -> None:
        from forest.services.fraud import fraud_signals_confirm_and_freeze

        ids = list(queryset.values_list("id", flat=True))
        result = fraud_signals_confirm_and_freeze(signal_ids=ids, reviewer=request.user)
        self._report(
            request,
            result,
            _("Confirmed %(n)s signals; placed %(holds)s new holds.")
            % {"n": result.signals, "holds": result.holds},
        )

    @admin.action(
        description=gettext_lazy("Confirm and reverse open drops"),
        permissions=["review"],
    )
    def confirm_and_reverse(self, request, queryset) -> None:
        from forest.services.fraud import fraud_signals_confirm_and_reverse

        ids = list(queryset.values_list("id", flat=True))
        result = fraud_signals_confirm_and_reverse(signal_ids=ids, reviewer=request.user)
        self._report(
            request,
            result,
            _(
                "Confirmed %(n)s signals; reversed %(drops)s open drops (%(grams)s g) "
                "as ledger entries."
            )
            % {"n": result.signals, "drops": result.drops, "grams": result.grams},
        )

    @admin.action(description=gettext_lazy("Release the users' holds"), permissions=["review"])
    def release_hold(self, request, queryset) -> None:
        from forest.services.fraud import energy_holds_release

        user_ids = list(queryset.values_list("user_id", flat=True))
        released = energy_holds_release(user_ids=user_ids, released_by=request.user)
        self.message_user(
            request,
            _("Released %(n)s holds.") % {"n": released},
            messages.SUCCESS if released else messages.INFO,
        )


@admin.register(EnergyHold)
class EnergyHoldAdmin(ReadOnlyAdmin):
    """Holds are placed by confirming a fraud signal and released here or there."""

    list_display = [
        "id", "user", "reason", "signal", "created_by", "created_at", "released_at",
        "released_by",
    ]  # fmt: skip
    list_filter = [("released_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["user__email", "reason"]
    list_select_related = ["user", "signal", "created_by", "released_by"]
    raw_id_fields = ["user", "signal"]
    actions = ["release"]

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("forest.change_fraudsignal")

    @admin.action(description=gettext_lazy("Release hold"), permissions=["review"])
    def release(self, request, queryset) -> None:
        from forest.services.fraud import energy_holds_release

        user_ids = list(queryset.filter(released_at__isnull=True).values_list("user_id", flat=True))
        released = energy_holds_release(user_ids=user_ids, released_by=request.user)
        self.message_user(
            request,
            _("Released %(n)s holds.") % {"n": released},
            messages.SUCCESS if released else messages.INFO,
        )


# ---------------------------------------------------------------------------------------------
# Badges and challenges
# ---------------------------------------------------------------------------------------------


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
            "campaign", "is_active",
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
        from django.db.models import Count

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
