"""Admin for sponsors' claim-code batches and codes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin
from partners.models import (
    ClaimCode,
    ClaimCodeBatch,
)
from partners.services.claims import code_hash, code_normalise


@admin.register(ClaimCodeBatch)
class ClaimCodeBatchAdmin(ReadOnlyAdmin):
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


@admin.register(ClaimCode)
class ClaimCodeAdmin(ReadOnlyAdmin):
    """Support lookups: search a whole code (matched by its hash) or its first four characters."""

    list_display = ["__str__", "batch", "redeemed_by", "redeemed_at", "drop"]
    list_filter = [("redeemed_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["batch", "redeemed_by", "drop"]
    list_select_related = ["batch", "redeemed_by"]
    readonly_fields = ["batch", "prefix", "redeemed_by", "redeemed_at", "drop"]
    exclude = ["code_hash"]
    search_help_text = gettext_lazy("A whole code, or the four characters after CNPY-")

    def get_search_results(self, request, queryset, search_term):
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
