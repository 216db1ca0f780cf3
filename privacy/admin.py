"""The user admin with erasure: "Erase personal data (GDPR)" instead of bulk delete.

Replaces the accounts app's registration of ``User`` with a subclass, as erasing reaches every
app (``privacy.erasure``); admin URLs stay those of ``accounts.User``.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin.users import UserAdmin
from accounts.models import User
from privacy.erasure import user_erase, user_has_history

admin.site.unregister(User)


@admin.register(User)
class ErasingUserAdmin(UserAdmin):
    actions = ["erase_personal_data"]

    def get_actions(self, request):
        # Bulk delete would cascade into bank data without revoking at Plaid and stop at the
        # ledger's PROTECT: users are erased instead (docs/privacy.md).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        """Only a user without feeds, energy, trees or teams can be deleted outright."""
        if obj is not None and user_has_history(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Erase personal data (GDPR)"), permissions=["change"])
    def erase_personal_data(self, request, queryset) -> None:
        erased = 0
        for user in queryset.order_by("pk"):
            if user.pk == request.user.pk:
                self.message_user(
                    request, _("You cannot erase your own account here."), messages.WARNING
                )
                continue
            user_erase(user=user, reason=f"admin action by operator {request.user.pk}")
            erased += 1
        if erased:
            self.message_user(
                request,
                _(
                    "Personal data of %(n)d user(s) erased: feeds revoked, e-mail and names "
                    "replaced, sessions ended. Energy, trees and certificates stay, anonymous."
                )
                % {"n": erased},
                messages.SUCCESS,
            )
