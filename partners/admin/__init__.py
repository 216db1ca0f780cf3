"""The partners app's admin, one module per concept (importing them registers them)."""

from partners.admin import claims, forests, planting, sponsors

__all__ = ["claims", "forests", "planting", "sponsors"]
