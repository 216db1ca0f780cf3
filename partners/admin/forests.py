"""Admin for brand forests (figures from partners' selectors), their budget ledger and invoices."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from catalogue.models import BrandForest
from partners.models import ForestBudgetEntry, Invoice
from partners.selectors.forests import forests_with_figures
from partners.selectors.runway import runway_of, with_recent_spend
from partners.services.billing import InvoiceError, invoice_cancel, invoice_mark_paid
from partners.services.planting_orders import forest_budget_topup


@admin.register(BrandForest)
class BrandForestAdmin(admin.ModelAdmin):
    list_display = [
        "name", "sponsor", "planting_partner", "status", "price_per_tree", "currency",
        "capacity", "trees_committed", "budget_available", "budget_runs_out",
    ]  # fmt: skip
    list_filter = ["status", "sponsor", "planting_partner"]
    search_fields = ["name", "sponsor__name"]
    list_select_related = ["sponsor", "planting_partner"]
    filter_horizontal = ["species"]

    def get_queryset(self, request):
        return with_recent_spend(forests_with_figures()).select_related(
            "sponsor", "planting_partner"
        )

    @admin.display(description=gettext_lazy("trees committed"), ordering="trees_committed")
    def trees_committed(self, forest) -> int:
        return forest.trees_committed

    @admin.display(description=gettext_lazy("budget available"), ordering="budget_available")
    def budget_available(self, forest) -> str:
        return f"{forest.budget_available:.2f} {forest.currency}"

    @admin.display(description=gettext_lazy("budget runs out"))
    def budget_runs_out(self, forest) -> str:
        """At the pace of the last 30 days (partners.selectors.runway)."""
        runway = runway_of(forest)
        if runway.runs_out_on is None:
            return gettext("no trees funded in 30 days")
        return f"{runway.runs_out_on:%Y-%m-%d} ({runway.spend_per_day:.2f} {forest.currency}/d)"


class TopupForm(forms.ModelForm):
    """Operators record a sponsor's payment; every other kind is written by services only."""

    class Meta:
        model = ForestBudgetEntry
        fields = ["forest", "amount", "memo"]


@admin.register(ForestBudgetEntry)
class ForestBudgetEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "forest", "kind", "amount", "order", "memo", "created_at"]
    list_filter = ["kind", "forest", "created_at"]
    search_fields = ["forest__name", "idempotency_key", "memo"]
    list_select_related = ["forest"]
    raw_id_fields = ["order"]
    form = TopupForm

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        entry = forest_budget_topup(
            forest=obj.forest,
            amount=obj.amount,
            idempotency_key=f"topup:admin:{uuid.uuid4()}",
            memo=obj.memo or f"by {request.user}",
        )
        obj.pk = entry.pk


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Sponsors request invoices in the portal; operators record payments and cancellations.

    Marking paid credits the forest's budget through partners.services.billing, once per invoice
    whatever happens (double clicks, two operators, a retried action).
    """

    list_display = [
        "number", "sponsor", "forest", "amount", "vat_amount", "total", "currency", "status",
        "po_reference", "payment_reference", "created_at", "paid_at",
    ]  # fmt: skip
    list_filter = ["status", "sponsor", "forest", "created_at", "paid_at"]
    search_fields = [
        "number", "payment_reference", "po_reference", "sponsor__name", "forest__name",
        "requested_by__email",
    ]  # fmt: skip
    list_select_related = ["sponsor", "forest"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number", "sponsor", "forest", "amount", "vat_rate", "vat_amount", "total", "currency",
        "status", "payment_reference", "po_reference", "requested_by", "created_at",
        "paid_at", "paid_by", "cancelled_at", "budget_entry",
    ]  # fmt: skip
    fields = tuple(readonly_fields)
    actions = ["mark_paid", "mark_cancelled"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _apply(self, request, queryset, service, done) -> None:
        """``done``: the summary, with ``%(changed)s`` and ``%(unchanged)s`` counts."""
        changed, unchanged, refused = 0, 0, []
        for invoice_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                with transaction.atomic():
                    _invoice, newly = service(invoice_id)
            except InvoiceError as exc:
                refused.append(str(exc))
                continue
            changed += newly
            unchanged += not newly
        self.message_user(
            request, done % {"changed": changed, "unchanged": unchanged}, messages.SUCCESS
        )
        if refused:
            self.message_user(
                request,
                gettext("Refused: %(reasons)s") % {"reasons": " ".join(refused[:20])},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Mark as paid (credits the forest budget once)"))
    def mark_paid(self, request, queryset) -> None:
        self._apply(
            request,
            queryset,
            lambda pk: invoice_mark_paid(invoice_id=pk, paid_by=request.user),
            gettext("%(changed)s invoices marked paid; %(unchanged)s were already."),
        )

    @admin.action(description=gettext_lazy("Cancel (only pending invoices)"))
    def mark_cancelled(self, request, queryset) -> None:
        self._apply(
            request,
            queryset,
            lambda pk: invoice_cancel(invoice_id=pk),
            gettext("%(changed)s invoices cancelled; %(unchanged)s were already."),
        )
