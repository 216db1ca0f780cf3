"""Admin for planting partners (their action submits orders), API keys, orders, evidence, checks."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from catalogue.models import PlantingPartner
from core.admin import ReadOnlyAdmin
from partners.models import (
    PartnerApiKey,
    PlantingEvidence,
    PlantingOrder,
    PlantingOrderEvent,
    SurvivalCheck,
)
from partners.services.api_keys import partner_api_key_create
from partners.services.evidence import (
    EvidenceRejected,
    planting_evidence_add,
    survival_check_record,
)
from partners.services.planting_orders import (
    PlantingOrderStateError,
    planting_order_transition,
    planting_orders_submit,
)


@admin.register(PlantingPartner)
class PlantingPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "api_base_url", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "api_base_url"]
    actions = ["submit_requested_orders"]

    @admin.action(description=gettext_lazy("Send requested planting orders now"))
    def submit_requested_orders(self, request, queryset) -> None:
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


class PlantingOrderEventInline(admin.TabularInline):
    model = PlantingOrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_state", "to_state", "note"]
    fields = tuple(readonly_fields)

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
    fields = ("thumbnail", "taken_at", "latitude", "longitude", "dhash")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("photo"))
    def thumbnail(self, evidence) -> str:
        return evidence_thumbnail(evidence)


@admin.register(PlantingOrder)
class PlantingOrderAdmin(ReadOnlyAdmin):
    """Orders change state only through partners.services.planting_orders (an event each time)."""

    # What fits at 1280 px: the partner follows from the forest; the price (the forest's),
    # the provider's reference and attempts are on the order's page; the date drill-down above
    # the list stands in for a created column.
    list_display = ["id", "tree", "forest", "state", "hold_reason"]
    list_filter = ["state", "partner", "forest", ("hold_reason", admin.EmptyFieldListFilter)]
    search_fields = ["idempotency_key", "provider_reference", "tree__owner__email"]
    list_select_related = ["tree__species", "forest__sponsor", "partner"]
    inlines = [PlantingOrderEventInline, PlantingEvidenceInline]
    date_hierarchy = "created_at"
    actions = ["mark_funded", "mark_planted", "mark_verified", "mark_cancelled"]

    def _transition(self, request, queryset, to_state: str) -> None:
        """Bulk state change through the service: illegal steps are refused one by one."""
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
        cleaned = super().clean()
        order, upload = cleaned.get("order"), cleaned.get("upload")  # type: ignore[union-attr]  # stubs: ModelForm.clean is never None
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
        order = cleaned.get("order")  # type: ignore[union-attr]  # stubs: ModelForm.clean is never None
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
        check = survival_check_record(
            order_id=obj.order_id, year=obj.year, alive=obj.alive,
            checked_on=obj.checked_on, note=obj.note,
        )  # fmt: skip
        obj.pk = check.pk
