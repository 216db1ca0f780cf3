"""A Plaid Link item: the encrypted access token behind a Plaid feed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models.feeds import LinkedFeed
from accounts.services.crypto import decrypt, digest, encrypt
from core.models import TimeStampedModel


class PlaidItem(TimeStampedModel):
    """The Plaid item behind a feed linked through Plaid Link: its access token, encrypted.

    ``access_token_ciphertext`` and ``item_id_ciphertext`` hold Fernet tokens
    (``accounts.services.crypto``), never the plaintext; they are decrypted only by the adapter that
    sends them to Plaid. Revoking the feed asks Plaid to remove the item; once Plaid confirms,
    both are erased ("").
    """

    class Adapter(models.TextChoices):
        SANDBOX = "sandbox", _("Canopy's offline sandbox (demo, tests)")
        PLAID = "plaid", _("Plaid API")

    feed = models.OneToOneField(
        LinkedFeed, on_delete=models.CASCADE, related_name="plaid_item", verbose_name=_("feed")
    )
    adapter = models.CharField(max_length=16, choices=Adapter.choices, verbose_name=_("adapter"))
    access_token_ciphertext = models.TextField(
        blank=True, editable=False, verbose_name=_("access token ciphertext")
    )
    item_id_ciphertext = models.TextField(
        blank=True, editable=False, verbose_name=_("item id ciphertext")
    )
    # SHA-256 of the item id: Plaid's webhooks name the item, and it is not stored in clear.
    item_id_sha256 = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("item id sha256")
    )
    # SHA-256 of the public token it was exchanged from: the same exchange twice is one feed.
    public_token_sha256 = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("public token sha256")
    )
    removal_requested_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("removal requested at")
    )
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))
    removal_attempts = models.PositiveIntegerField(default=0, verbose_name=_("removal attempts"))
    removal_error = models.TextField(blank=True, verbose_name=_("removal error"))

    class Meta:
        verbose_name = _("plaid item")
        verbose_name_plural = _("plaid items")
        ordering = ["id"]
        indexes = [
            # Used by the nightly retry of /item/remove after a revocation Plaid missed.
            models.Index(
                fields=["removal_requested_at"],
                name="accounts_plaiditem_removal",
                condition=models.Q(removal_requested_at__isnull=False, removed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Plaid item of {self.feed}"

    def set_secrets(self, *, access_token: str, item_id: str) -> None:
        self.access_token_ciphertext = encrypt(access_token)
        self.item_id_ciphertext = encrypt(item_id)
        self.item_id_sha256 = digest(item_id) if item_id else ""

    def access_token(self) -> str:
        return decrypt(self.access_token_ciphertext)

    def item_id(self) -> str:
        return decrypt(self.item_id_ciphertext)


# ---------------------------------------------------------------------------------------------
# Friends
# ---------------------------------------------------------------------------------------------
