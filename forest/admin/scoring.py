"""Admin for rules, green actions, scoring runs and exchange rates."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin
from forest.admin.rule_diffs import version_diff_html
from forest.admin.rule_forms import GreenActionRuleForm
from forest.models import (
    CurrencyRate,
    GreenAction,
    GreenActionRule,
    GreenActionRuleVersion,
    ScoringChunk,
    ScoringRun,
)
from forest.scoring.jobs import scoring_run_inline
from forest.selectors.rule_drafts import (
    DRAFT_TEST_DAYS,
    DRAFT_TEST_LIMIT,
    DraftTestResult,
    rule_draft_test,
)
from forest.services.rescoring import rescore_request
from forest.services.rule_testing import rule_test
from forest.services.rules import rule_save


class RuleVersionInline(admin.TabularInline):
    model = GreenActionRuleVersion
    extra = 0
    can_delete = False
    fields = ["version", "created_at", "changes"]
    readonly_fields = ["version", "created_at", "changes"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("changes"))
    def changes(self, version: GreenActionRuleVersion) -> str:
        return version_diff_html(version)


class DraftOnlyForm:
    """Mixed into the rule form when "Test this draft" was pressed: validated in full, but
    never valid to the admin, so it re-renders the form instead of saving it."""

    draft_valid = False
    instance: GreenActionRule

    def is_valid(self) -> bool:
        self.draft_valid = super().is_valid()  # type: ignore[misc]
        return False


RULE_FIELDS = (
    "code", "version", "name_en", "name_nl", "action_type", "priority", "is_active",
    "quarantine_reason",
)  # fmt: skip
ESTIMATE_FIELDS = (
    "estimate_kind", "fixed_grams", "grams_per_unit", "fare_per_km", "grams_per_km",
    "substitution_share", "daily_cap_grams", "awards_energy",
)  # fmt: skip

# What each matcher kind of forest.selectors.rule_drafts is called on the page.
DRAFT_KIND_LABELS = {
    "mcc": gettext_lazy("MCC"),
    "name": gettext_lazy("name or alias"),
    "merchant_id": gettext_lazy("merchant id"),
    "category": gettext_lazy("category"),
    "description": gettext_lazy("description regex"),
}


@admin.register(GreenActionRule)
class GreenActionRuleAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name_en", "action_type", "priority", "estimate_kind", "daily_cap_grams",
        "awards_energy", "is_active", "quarantine_reason", "version", "updated_at",
    ]  # fmt: skip
    list_filter = ["action_type", "estimate_kind", "awards_energy", "is_active"]
    search_fields = [
        "code", "name_en", "name_nl", "match_merchants", "match_aliases", "match_mccs", "source",
    ]  # fmt: skip
    readonly_fields = ["version", "quarantine_reason", "created_at", "updated_at"]
    form = GreenActionRuleForm
    change_form_template = "admin/forest/greenactionrule/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": RULE_FIELDS},
        ),
        (
            gettext_lazy("Matchers"),
            {
                "fields": tuple(GreenActionRuleForm.Meta.fields),
                "description": gettext_lazy(
                    "A transaction matches if any matcher does. Test the draft below before "
                    "saving: a saved change makes a new version."
                ),
            },
        ),
        (
            gettext_lazy("Estimate"),
            {"fields": ESTIMATE_FIELDS},
        ),
        (
            gettext_lazy("Explanation and validity"),
            {"fields": ("method", "source", "valid_from", "valid_to", "created_at", "updated_at")},
        ),
    ]
    inlines = [RuleVersionInline]
    actions = ["test_against_recent", "rescore_last_30_days"]

    class Media:
        css = {"all": ["admin-extra/rules.css"]}

    def save_model(self, request, obj, form, change) -> None:
        rule_save(rule=obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.method == "POST" and "_test_draft" in request.POST:
            # Django's change view saves only a valid form: this one reports itself invalid
            # after validating, so the page comes back with the draft and its test result.
            return type(form.__name__, (DraftOnlyForm, form), {})
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update({"draft_test_days": DRAFT_TEST_DAYS, "draft_test_limit": DRAFT_TEST_LIMIT})
        form = context["adminform"].form
        if isinstance(form, DraftOnlyForm):
            if form.draft_valid:
                context.update(_draft_context(rule_draft_test(rule=form.instance)))
            else:
                context["draft_test_invalid"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description=gettext_lazy("Test against the last 500 transactions"))
    def test_against_recent(self, request, queryset) -> None:
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


def _draft_context(result: DraftTestResult) -> dict:
    return {
        "draft_test": result,
        "draft_test_kinds": [
            (kind, label, result.by_kind[kind]) for kind, label in DRAFT_KIND_LABELS.items()
        ],
        "draft_test_samples": [
            {**vars(s), "matched_on_labels": [DRAFT_KIND_LABELS[k] for k in s.matched_on]}
            for s in result.samples
        ],
    }


@admin.register(GreenAction)
class GreenActionAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "user", "action_type", "rule", "rule_version", "matched_on", "booking_date",
        "amount", "currency", "estimated_grams", "base_grams", "campaign_grams", "grams",
        "reversed_at",
    ]  # fmt: skip
    list_filter = ["action_type", "matched_on", "booking_date", "reversal_reason", "campaign"]
    search_fields = ["user__email", "rule__code", "transaction__provider_txn_id"]
    list_select_related = ["user", "rule"]
    date_hierarchy = "booking_date"
    raw_id_fields = ["transaction", "user", "drop"]


class ScoringChunkInline(admin.TabularInline):
    model = ScoringChunk
    extra = 0
    can_delete = False
    # attempts, sent_at and started_at tell a chunk that lost its worker (pending, started,
    # retried by the sweeper: docs/failure-modes.md) from one still waiting for its first
    # worker, and from one whose message never left (pending, not sent).
    readonly_fields = [
        "user_id_from", "user_id_to", "status", "attempts", "sent_at", "started_at",
        "transactions_scored",
        "green_actions", "grams_awarded", "reversals", "skipped", "skipped_examples",
        "finished_at", "worker",
    ]  # fmt: skip
    fields = tuple(readonly_fields)

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
