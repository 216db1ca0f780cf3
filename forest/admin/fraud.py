"""Admin for the fraud review: signals and energy holds."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import LinkedFeed
from core.admin import ReadOnlyAdmin
from forest.models import (
    EnergyHold,
    FraudSignal,
)
from forest.services.fraud_review import (
    energy_holds_release,
    fraud_signals_confirm_and_freeze,
    fraud_signals_confirm_and_reverse,
    fraud_signals_dismiss,
)


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
    fields = (
        "user", "user_links", "kind", "severity", "score", "status", "details_display",
        "first_seen_at", "last_seen_at", "reviewed_by", "reviewed_at", "review_note",
    )  # fmt: skip
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
        ids = list(queryset.values_list("id", flat=True))
        result = fraud_signals_dismiss(signal_ids=ids, reviewer=request.user)
        self._report(request, result, _("Dismissed %(n)s signals.") % {"n": result.signals})

    @admin.action(
        description=gettext_lazy("Confirm and freeze (the user can no longer collect)"),
        permissions=["review"],
    )
    def confirm_and_freeze(self, request, queryset) -> None:
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
