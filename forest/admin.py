from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forest.models import (
    Certificate,
    CurrencyRate,
    EnergyBalance,
    EnergyDrop,
    EnergyLedgerEntry,
    GreenAction,
    GreenActionRule,
    GreenActionRuleVersion,
    LedgerAudit,
    ScoringChunk,
    ScoringRun,
    Species,
    Tree,
)
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
