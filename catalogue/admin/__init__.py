"""The catalogue's admin, one module per concept (importing them registers them).

Catalogue admins that act through partners (logo sanitising, forest budgets, order
submission) are registered from partners/admin/ instead: this app may not import partners.
"""

from catalogue.admin import campaigns, species, sponsors

__all__ = ["campaigns", "species", "sponsors"]
