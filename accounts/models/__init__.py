"""The accounts app's models, one module per concept; import them from here."""

from accounts.models.devices import PushDevice
from accounts.models.feeds import (
    Consent,
    ImportBatch,
    LinkedFeed,
    LinkedFeedQuerySet,
    Provider,
    Trust,
    sandbox_enabled,
    trust_for_provider,
)
from accounts.models.friends import FriendInvite, Friendship, FriendshipQuerySet
from accounts.models.import_jobs import ImportJob
from accounts.models.inbox import Notification, OutboundMessage
from accounts.models.outbox import ChangedTransaction
from accounts.models.plaid import PlaidItem
from accounts.models.transactions import (
    TRANSACTION_BANK_FIELDS,
    Transaction,
    TransactionQuerySet,
    WebhookDelivery,
)
from accounts.models.users import Profile, User, UserManager, validate_time_zone

__all__ = [
    "TRANSACTION_BANK_FIELDS",
    "ChangedTransaction",
    "Consent",
    "FriendInvite",
    "Friendship",
    "FriendshipQuerySet",
    "ImportBatch",
    "ImportJob",
    "LinkedFeed",
    "LinkedFeedQuerySet",
    "Notification",
    "OutboundMessage",
    "PlaidItem",
    "Profile",
    "Provider",
    "PushDevice",
    "Transaction",
    "TransactionQuerySet",
    "Trust",
    "User",
    "UserManager",
    "WebhookDelivery",
    "sandbox_enabled",
    "trust_for_provider",
    "validate_time_zone",
]
