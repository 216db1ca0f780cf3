"""The catalogue's models, one module per concept; import them from here."""

from catalogue.models.campaigns import Campaign
from catalogue.models.forests import BrandForest
from catalogue.models.matchers import (
    validate_mcc,
    validate_mcc_list,
    validate_regex,
    validate_string_list,
)
from catalogue.models.planting_partners import PlantingPartner
from catalogue.models.species import Species
from catalogue.models.sponsors import Sponsor, SponsorMembership, SponsorQuerySet

__all__ = [
    "BrandForest",
    "Campaign",
    "PlantingPartner",
    "Species",
    "Sponsor",
    "SponsorMembership",
    "SponsorQuerySet",
    "validate_mcc",
    "validate_mcc_list",
    "validate_regex",
    "validate_string_list",
]
