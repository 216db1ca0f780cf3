"""The catalogue's admin, one module per concept (importing them registers them)."""

from catalogue.admin import species  # noqa: F401
