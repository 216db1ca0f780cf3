"""The accounts admin, one module per concept; importing them registers the model admins."""

from accounts.admin import feeds, transactions, users  # noqa: F401
