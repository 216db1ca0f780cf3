"""Forest models, split by concept: rules and actions, energy (drops, ledger), scoring runs."""

from forest.models.achievements import (
    BadgeCode,
    Challenge,
    ChallengeParticipation,
    UserBadge,
)
from forest.models.economy import EnergyLimits
from forest.models.energy import EnergyBalance, EnergyDrop, EnergyLedgerEntry, LedgerAudit
from forest.models.fraud import EnergyHold, FraudSignal
from forest.models.levels import LevelThreshold
from forest.models.rules import (
    ActionType,
    CurrencyRate,
    GreenAction,
    GreenActionRule,
    GreenActionRuleVersion,
    RuleMatcher,
)
from forest.models.scoring import ScoringChunk, ScoringRun
from forest.models.social import EnergyTransfer
from forest.models.trees import (
    Certificate,
    Team,
    TeamInvitation,
    TeamMembership,
    Tree,
    TreeContribution,
)

__all__ = [
    "ActionType",
    "BadgeCode",
    "Certificate",
    "Challenge",
    "ChallengeParticipation",
    "CurrencyRate",
    "EnergyBalance",
    "EnergyDrop",
    "EnergyHold",
    "EnergyLedgerEntry",
    "EnergyLimits",
    "EnergyTransfer",
    "FraudSignal",
    "GreenAction",
    "GreenActionRule",
    "GreenActionRuleVersion",
    "LedgerAudit",
    "LevelThreshold",
    "RuleMatcher",
    "ScoringChunk",
    "ScoringRun",
    "Team",
    "TeamInvitation",
    "TeamMembership",
    "Tree",
    "TreeContribution",
    "UserBadge",
]
