import uuid

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from partners.models import (
    BrandForest,
    Campaign,
    ClaimCode,
    ClaimCodeBatch,
    ForestBudgetEntry,
    Invoice,
    PartnerApiKey,
    PlantingEvidence,
    PlantingOrder,
    PlantingOrderEvent,
    PlantingPartner,
    Sponsor,
    SponsorMembership,
    SurvivalCheck,
)


class SponsorMembershipInline(admin.TabularInline):
    model = SponsorMembership
    extra = 0
    raw_id_fields = ["user"]


class SponsorAdminForm(forms.ModelForm):
    """A logo uploaded here is sanitised like one uploaded in the portal (partners.branding)."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Sponsor
        fields = ["name", "slug", "website", "brand_colour", "logo", "is_active"]

    def clean_logo(self):
        from django.core.files.base import ContentFile
        from django.core.files.uploadedfile import UploadedFile

        from partners.branding import LogoRejected, sanitise_logo

        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged, or cleared
        try:
            clean = sanitise_logo(logo.read())
        except LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        slug = self.cleaned_data.get("slug") or "sponsor"
        return ContentFile(clean.png, name=f"{slug}-{clean.sha256[:12]}.png")


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    form = SponsorAdminForm
    list_display = ["name", "slug", "is_active", "brand_colour", "website", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SponsorMembershipInline]


@admin.register(SponsorMembership)
class SponsorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "sponsor", "role", "created_at"]
    list_filter = ["role", "sponsor"]
    search_fields = ["user__email", "sponsor__name"]
    list_select_related = ["user", "sponsor"]
    raw_id_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name", "sponsor", "starts_on", "ends_on", "segment", "bonus_grams", "multiplier",
        "budget_grams", "spent_grams", "is_active",
    ]  # fmt: skip
    list_filter = ["is_active", "segment", "sponsor", "starts_on"]
    search_fields = ["name", "sponsor__name", "match_merchants"]
    list_select_related = ["sponsor"]
    readonly_fields = ["spent_grams", "created_at", "updated_at"]
    date_hierarchy = "starts_on"


# --------------------------------------------------------------------------------------------
# Forests, budgets and planting
# --------------------------------------------------------------------------------------------


@admin.register(PlantingPartner)
class PlantingPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "api_base_url", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "api_base_url"]
    actions = ["submit_requested_orders"]

    @admin.action(description=gettext_lazy("Send requested planting orders now"))
    def submit_requested_orders(self, request, queryset) -> None:
        from partners.services import planting_orders_submit

        for partner in queryset:
            result = planting_orders_submit(partner.id)
            self.message_user(
                request,
                gettext("%(partner)s: %(funded)s orders accepted, %(failed)s failed.")
                % {"partner": partner, "funded": result.funded, "failed": result.failed},
                messages.WARNING if result.failed else messages.SUCCESS,
            )


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(admin.ModelAdmin):
    """Keys are made here and shown once; revoke by setting ``revoked at``."""

    list_display = ["partner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "partner__name"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "name"]
        return ["partner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["partner"] if obj else [])

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        from partners.api_keys import partner_api_key_create

        key, token = partner_api_key_create(partner=obj.partner, name=obj.name)
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj.created_at = key.created_at
        self.message_user(
            request,
            gettext("The new key for %(partner)s — copy it now, it is not shown again: %(token)s")
            % {"partner": obj.partner, "token": token},
            messages.WARNING,
        )


@admin.register(BrandForest)
class BrandForestAdmin(admin.ModelAdmin):
    list_display = [
        "name", "sponsor", "planting_partner", "status", "price_per_tree", "currency",
        "capacity", "trees_committed", "budget_available",
    ]  # fmt: skip
    list_filter = ["status", "sponsor", "planting_partner"]
    search_fields = ["name", "sponsor__name"]
    list_select_related = ["sponsor", "planting_partner"]
    filter_horizontal = ["species"]

    def get_queryset(self, request):
        from partners.forest_selectors import forests_with_figures

        return forests_with_figures().select_related("sponsor", "planting_partner")

    @admin.display(description=gettext_lazy("trees committed"), ordering="trees_committed")
    def trees_committed(self, forest) -> int:
        return forest.trees_committed

    @admin.display(description=gettext_lazy("budget available"), ordering="budget_available")
    def budget_available(self, forest) -> str:
        return f"{forest.budget_available:.2f} {forest.currency}"


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
        from partners.services import forest_budget_topup

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

    Marking paid credits the forest's budget through partners.billing, once per invoice
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
    fields = readonly_fields
    actions = ["mark_paid", "mark_cancelled"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _apply(self, request, queryset, service, done) -> None:
        """``done``: the summary, with ``%(changed)s`` and ``%(unchanged)s`` counts."""
        from partners.billing import InvoiceError

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
        from partners.billing import invoice_mark_paid

        self._apply(
            request,
            queryset,
            lambda pk: invoice_mark_paid(invoice_id=pk, paid_by=request.user),
            gettext("%(changed)s invoices marked paid; %(unchanged)s were already."),
        )

    @admin.action(description=gettext_lazy("Cancel (only pending invoices)"))
    def mark_cancelled(self, request, queryset) -> None:
        from partners.billing import invoice_cancel

        self._apply(
            request,
            queryset,
            lambda pk: invoice_cancel(invoice_id=pk),
            gettext("%(changed)s invoices cancelled; %(unchanged)s were already."),
        )


class PlantingOrderEventInline(admin.TabularInline):
    model = PlantingOrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_state", "to_state", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def evidence_thumbnail(evidence) -> str:
    if not evidence.photo:
        return "-"
    return format_html(
        '<a href="{0}"><img src="{0}" alt="" style="max-height:80px;max-width:120px"></a>',
        evidence.photo.url,
    )


class PlantingEvidenceInline(admin.TabularInline):
    model = PlantingEvidence
    extra = 0
    can_delete = False
    fields = ["thumbnail", "taken_at", "latitude", "longitude", "dhash"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("photo"))
    def thumbnail(self, evidence) -> str:
        return evidence_thumbnail(evidence)


@admin.register(PlantingOrder)
class PlantingOrderAdmin(admin.ModelAdmin):
    """Orders change state only through partners.services (with an event each time)."""

    list_display = [
        "id", "tree", "forest", "partner", "state", "hold_reason", "price", "currency",
        "provider_reference", "submit_attempts", "created_at",
    ]  # fmt: skip
    list_filter = ["state", "partner", "forest", ("hold_reason", admin.EmptyFieldListFilter)]
    search_fields = ["idempotency_key", "provider_reference", "tree__owner__email"]
    list_select_related = ["tree", "forest", "partner"]
    inlines = [PlantingOrderEventInline, PlantingEvidenceInline]
    date_hierarchy = "created_at"
    actions = ["mark_funded", "mark_planted", "mark_verified", "mark_cancelled"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _transition(self, request, queryset, to_state: str) -> None:
        """Bulk state change through the service: illegal steps are refused one by one."""
        from partners.services import PlantingOrderStateError, planting_order_transition

        moved, refused = 0, []
        for order_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                with transaction.atomic():
                    planting_order_transition(
                        order_id=order_id, to_state=to_state, note=f"admin: {request.user}"
                    )
                moved += 1
            except PlantingOrderStateError as exc:
                refused.append(f"#{order_id}: {exc}")
        self.message_user(
            request,
            gettext("%(moved)s orders moved to %(state)s.") % {"moved": moved, "state": to_state},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                gettext("Refused: %(reasons)s") % {"reasons": "; ".join(refused[:20])},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Mark as funded (accepted by the partner)"))
    def mark_funded(self, request, queryset) -> None:
        self._transition(request, queryset, PlantingOrder.State.FUNDED)

    @admin.action(description=gettext_lazy("Mark as planted"))
    def mark_planted(self, request, queryset) -> None:
        self._transition(request, queryset, PlantingOrder.State.PLANTED)

    @admin.action(description=gettext_lazy("Mark as verified"))
    def mark_verified(self, request, queryset) -> None:
        self._transition(request, queryset, PlantingOrder.State.VERIFIED)

    @admin.action(description=gettext_lazy("Cancel (releases the reserved budget)"))
    def mark_cancelled(self, request, queryset) -> None:
        self._transition(request, queryset, PlantingOrder.State.CANCELLED)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EvidenceUploadForm(forms.ModelForm):
    """Operators upload a partner's photo; it is checked like any other evidence."""

    upload = forms.FileField(
        label=gettext_lazy("Upload"),
        help_text=gettext_lazy("JPEG, PNG or WebP with GPS, taken inside the forest"),
    )

    class Meta:
        model = PlantingEvidence
        fields = ["order"]

    def clean(self):
        from partners.evidence import EvidenceRejected, planting_evidence_add

        cleaned = super().clean()
        order, upload = cleaned.get("order"), cleaned.get("upload")
        if order and upload:
            try:
                self.evidence = planting_evidence_add(order_id=order.id, data=upload.read())
            except EvidenceRejected as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


@admin.register(PlantingEvidence)
class PlantingEvidenceAdmin(admin.ModelAdmin):
    list_display = [
        "id", "thumbnail", "order", "taken_at", "latitude", "longitude", "dhash", "created_at",
    ]  # fmt: skip
    list_filter = ["created_at", "order__partner"]
    search_fields = ["sha256", "dhash", "order__provider_reference"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]
    form = EvidenceUploadForm

    @admin.display(description=gettext_lazy("photo"))
    def thumbnail(self, evidence) -> str:
        return evidence_thumbnail(evidence)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # The evidence was written (inside the request's transaction) when the form validated.
        obj.pk = form.evidence.pk

    def save_related(self, request, form, formsets, change) -> None:
        pass


class SurvivalCheckForm(forms.ModelForm):
    class Meta:
        model = SurvivalCheck
        fields = ["order", "year", "alive", "checked_on", "note"]

    def clean(self):
        cleaned = super().clean()
        order = cleaned.get("order")
        if order and order.state not in ("verified", "survival_checked"):
            raise forms.ValidationError(gettext("Only verified plantings are survival-checked."))
        return cleaned


@admin.register(SurvivalCheck)
class SurvivalCheckAdmin(admin.ModelAdmin):
    form = SurvivalCheckForm
    list_display = ["order", "year", "alive", "checked_on", "note"]
    list_filter = ["year", "alive", "order__forest"]
    search_fields = ["order__provider_reference", "note"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        from partners.evidence import survival_check_record

        check = survival_check_record(
            order_id=obj.order_id, year=obj.year, alive=obj.alive,
            checked_on=obj.checked_on, note=obj.note,
        )  # fmt: skip
        obj.pk = check.pk


@admin.register(ClaimCodeBatch)
class ClaimCodeBatchAdmin(admin.ModelAdmin):
    """Read-only: batches are created in the portal, which reserves their budget."""

    list_display = [
        "name",
        "sponsor",
        "campaign",
        "grams_per_code",
        "code_count",
        "valid_from",
        "valid_until",
        "downloaded_at",
        "created_at",
    ]
    list_filter = ["sponsor"]
    search_fields = ["name", "sponsor__name", "campaign__name"]
    exclude = ["code_seed"]
    readonly_fields = [
        "sponsor",
        "campaign",
        "name",
        "grams_per_code",
        "code_count",
        "reserved_grams",
        "valid_from",
        "valid_until",
        "created_by",
        "downloaded_at",
        "downloaded_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClaimCode)
class ClaimCodeAdmin(admin.ModelAdmin):
    """Support lookups: search a whole code (matched by its hash) or its first four characters."""

    list_display = ["__str__", "batch", "redeemed_by", "redeemed_at", "drop"]
    list_filter = [("redeemed_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["batch", "redeemed_by", "drop"]
    list_select_related = ["batch", "redeemed_by"]
    readonly_fields = ["batch", "prefix", "redeemed_by", "redeemed_at", "drop"]
    exclude = ["code_hash"]
    search_help_text = gettext_lazy("A whole code, or the four characters after CNPY-")

    def get_search_results(self, request, queryset, search_term):
        from partners.claims import code_hash, code_normalise

        term = search_term.strip()
        if not term:
            return queryset, False
        body = code_normalise(term)
        if body is not None:
            return queryset.filter(code_hash=code_hash(body)), False
        prefix = term.upper().removeprefix("CNPY-")[:4]
        return queryset.filter(prefix=prefix), False

    def get_search_fields(self, request):
        return ["prefix"]  # shows the search box; get_search_results does the matching

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
