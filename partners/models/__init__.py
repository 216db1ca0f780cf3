"""The partners app's models, one module per concept; import them from here."""

from partners.models.billing import Invoice, InvoiceNumberSequence
from partners.models.campaigns import Campaign
from partners.models.claims import ClaimCode, ClaimCodeBatch
from partners.models.forests import BrandForest, ForestBudgetEntry
from partners.models.planting import (
    PartnerApiKey,
    PlantingEvidence,
    PlantingOrder,
    PlantingOrderEvent,
    PlantingPartner,
    SurvivalCheck,
)
from partners.models.sponsors import Sponsor, SponsorMembership, SponsorQuerySet

__all__ = [
    "BrandForest",
    "Campaign",
    "ClaimCode",
    "ClaimCodeBatch",
    "ForestBudgetEntry",
    "Invoice",
    "InvoiceNumberSequence",
    "PartnerApiKey",
    "PlantingEvidence",
    "PlantingOrder",
    "PlantingOrderEvent",
    "PlantingPartner",
    "Sponsor",
    "SponsorMembership",
    "SponsorQuerySet",
    "SurvivalCheck",
]
