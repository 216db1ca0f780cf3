"""The partners app's models, one module per concept; import them from here."""

from partners.models.billing import Invoice, InvoiceNumberSequence
from partners.models.budget import ForestBudgetEntry
from partners.models.claims import ClaimCode, ClaimCodeBatch
from partners.models.planting import (
    PartnerApiKey,
    PlantingEvidence,
    PlantingOrder,
    PlantingOrderEvent,
    SurvivalCheck,
)

__all__ = [
    "ClaimCode",
    "ClaimCodeBatch",
    "ForestBudgetEntry",
    "Invoice",
    "InvoiceNumberSequence",
    "PartnerApiKey",
    "PlantingEvidence",
    "PlantingOrder",
    "PlantingOrderEvent",
    "SurvivalCheck",
]
