"""The partners app's admin, one module per concept (importing them registers them).

Also registers three catalogue models whose admin acts through partners: Sponsor (logo
sanitiser), BrandForest (budget figures) and PlantingPartner (order submission).
"""

from partners.admin import claims, forests, planting, sponsors

__all__ = ["claims", "forests", "planting", "sponsors"]
