"""The forest's privacy hook (protocol: ``privacy.hooks``): the user's transactions with their
green action, energy, trees, certificates and teams in the export; leaving teams on erasure.

Energy, green actions, trees and certificates are kept on erasure, anonymous: the ledger is
append-only and a planted tree stays traceable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db.models import F, FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import TRANSACTION_BANK_FIELDS, Transaction, User
from accounts.privacy import CHUNK_SIZE, export_rows
from forest.models import (
    Certificate,
    ChallengeParticipation,
    EnergyBalance,
    EnergyDrop,
    EnergyHold,
    EnergyLedgerEntry,
    EnergyTransfer,
    FraudSignal,
    GreenAction,
    Team,
    TeamInvitation,
    TeamMembership,
    Tree,
    TreeContribution,
    UserBadge,
)
from forest.selectors.levels import home_figures
from forest.services.team_invitations import _end_memberships

TRANSACTION_EXPORT_FIELDS = (
    "id",
    "feed_id",
    "provider",
    "provider_txn_id",
    *TRANSACTION_BANK_FIELDS,
    "raw",
    "is_reversal",
    "created_at",
    "removed_at",
    "redacted_at",
)


def _transactions(user: User) -> Iterator[dict]:
    # The live green action of each transaction (at most one: a partial unique constraint),
    # joined in the same query; reversed and earlier actions are in "green_actions".
    qs = (
        Transaction.objects.filter(user=user)
        .annotate(
            live=FilteredRelation(
                "green_actions", condition=Q(green_actions__reversed_at__isnull=True)
            )
        )
        .order_by("id")
    )
    ga = {
        "ga_id": "live__id",
        "ga_action_type": "live__action_type",
        "ga_grams": "live__grams",
        "ga_rule": "live__rule__code",
    }
    for row in qs.values(*TRANSACTION_EXPORT_FIELDS, **{k: F(v) for k, v in ga.items()}).iterator(
        chunk_size=CHUNK_SIZE
    ):
        out = {name: row[name] for name in TRANSACTION_EXPORT_FIELDS}
        out["green_action"] = (
            {
                "id": row["ga_id"],
                "action_type": row["ga_action_type"],
                "grams": row["ga_grams"],
                "rule": row["ga_rule"],
            }
            if row["ga_id"] is not None
            else None
        )
        yield out


def _certificates(user: User, verification_url: Callable[[str], str]) -> Iterator[dict]:
    qs = Certificate.objects.filter(tree__in=Tree.objects.visible_to(user.pk)).order_by("id")
    for row in export_rows(qs, "number", "tree_id", "issued_at"):
        row["verification_url"] = verification_url(row["number"])
        yield row


def export_sections(
    *, user: User, verification_url: Callable[[str], str], **context
) -> Iterator[tuple[str, object]]:
    uid = user.pk
    yield "transactions", _transactions(user)
    yield (
        "green_actions",
        export_rows(
            GreenAction.objects.filter(user_id=uid).order_by("id"),
            "id",
            "transaction_id",
            "action_type",
            "booking_date",
            "amount",
            "currency",
            "eur_amount",
            "estimated_grams",
            "base_grams",
            "campaign_grams",
            "grams",
            "rule_version",
            "drop_id",
            "created_at",
            "reversed_at",
            "reversal_reason",
            rule_code="rule__code",
            campaign_name="campaign__name",
        ),
    )
    yield (
        "drops",
        export_rows(
            EnergyDrop.objects.filter(user_id=uid).order_by("id"),
            "id",
            "action_type",
            "grams",
            "remaining",
            "status",
            "ripe_at",
            "expires_at",
            "collected_at",
            "created_at",
        ),
    )
    yield (
        "ledger",
        export_rows(
            EnergyLedgerEntry.objects.filter(user_id=uid).order_by("id"),
            "id",
            "account",
            "kind",
            "grams",
            "drop_id",
            "green_action_id",
            "memo",
            "created_at",
        ),
    )
    yield (
        "balances",
        export_rows(
            EnergyBalance.objects.filter(user_id=uid).order_by("account"), "account", "grams"
        ),
    )
    yield (
        "trees",
        export_rows(
            Tree.objects.filter(owner_id=uid).order_by("id"),
            "id",
            "team_id",
            "status",
            "energy_grams",
            "matured_at",
            "created_at",
            species_code="species__code",
            forest_name="forest__name",
        ),
    )
    yield (
        "tree_contributions",
        export_rows(
            TreeContribution.objects.filter(user_id=uid).order_by("id"),
            "tree_id",
            "grams",
            "created_at",
        ),
    )
    yield "certificates", _certificates(user, verification_url)
    yield (
        "team_memberships",
        export_rows(
            TeamMembership.objects.filter(user_id=uid).order_by("id"),
            "team_id",
            "status",
            "joined_at",
            "created_at",
            team_name="team__name",
        ),
    )
    # Invitations to the user, and those they sent, without the addresses of other people.
    yield (
        "team_invitations",
        export_rows(
            TeamInvitation.objects.filter(
                Q(invited_user_id=uid) | Q(email=user.email.lower()) | Q(invited_by_id=uid)
            ).order_by("id"),
            "id",
            "team_id",
            "status",
            "created_at",
            "expires_at",
            "responded_at",
            "invited_by_id",
            team_name="team__name",
        ),
    )
    yield (
        "energy_transfers",
        export_rows(
            EnergyTransfer.objects.filter(Q(from_user_id=uid) | Q(to_user_id=uid)).order_by("id"),
            "kind",
            "from_user_id",
            "to_user_id",
            "grams",
            "drop_id",
            "created_at",
        ),
    )
    yield (
        "badges",
        export_rows(UserBadge.objects.filter(user_id=uid).order_by("id"), "badge", "earned_at"),
    )
    yield (
        "challenges",
        export_rows(
            ChallengeParticipation.objects.filter(user_id=uid).order_by("id"),
            "joined_at",
            "completed_at",
            "bonus_grams",
            challenge_code="challenge__code",
            challenge_title="challenge__title_en",
        ),
    )
    # Computed, not stored: the level and streaks as the home screen shows them.
    figures = home_figures(uid, today=timezone.localdate(), locale=(get_language() or "en")[:2])
    yield "level", {"level": figures["level"], "streaks": figures["streaks"]}
    yield (
        "holds",
        export_rows(
            EnergyHold.objects.filter(user_id=uid).order_by("id"),
            "reason",
            "created_at",
            "released_at",
            "signal_id",
        ),
    )
    # The outcome of each fraud review about the user; the detection details, score and the
    # reviewer's note stay out (docs/privacy.md: fraud-prevention exemption).
    yield (
        "fraud_reviews",
        export_rows(
            FraudSignal.objects.filter(user_id=uid).order_by("id"),
            "id",
            "kind",
            "severity",
            "status",
            "first_seen_at",
            "last_seen_at",
            "reviewed_at",
        ),
    )


def erase(*, user: User, email: str, now) -> dict[str, int]:
    """Pending invitations to or from the user revoked, the address removed from every
    invitation, the user's teams left."""
    counts = {"invitations_revoked": 0}
    Status = TeamInvitation.Status
    pending = TeamInvitation.objects.filter(status=Status.PENDING)
    to_user = pending.filter(Q(invited_user=user) | Q(email=email))
    counts["invitations_revoked"] += to_user.update(
        status=Status.REVOKED, responded_at=now, updated_at=now
    )
    # Invitations the user sent: the invitees' seats are freed as when the inviter revokes.
    by_user = list(pending.filter(invited_by=user).values_list("id", "team_id", "invited_user_id"))
    if by_user:
        TeamInvitation.objects.filter(pk__in=[pk for pk, _, _ in by_user]).update(
            status=Status.REVOKED, responded_at=now, updated_at=now
        )
        counts["invitations_revoked"] += len(by_user)
        for team in Team.objects.filter(pk__in={team_id for _, team_id, _ in by_user}):
            _end_memberships(team, {uid for _, tid, uid in by_user if uid and tid == team.pk}, now)
    # The address itself: an invitation keeps its invitee (the anonymous user), not the e-mail.
    counts["invitations_scrubbed"] = TeamInvitation.objects.filter(email=email).update(
        email="", invited_user=user, updated_at=now
    )
    # Grams already grown stay in team trees, under an anonymous name (as team_leave keeps
    # a member who left); the seat is freed for someone else.
    memberships = TeamMembership.objects.filter(user=user)
    counts["team_memberships_ended"] = memberships.filter(
        status=TeamMembership.Status.ACTIVE
    ).update(status=TeamMembership.Status.LEFT, updated_at=now) + memberships.filter(
        status=TeamMembership.Status.INVITED
    ).update(status=TeamMembership.Status.EXPIRED, updated_at=now)
    return counts


def has_history(*, user: User) -> bool:
    """Energy, green actions, trees, teams or contributions: the ledger and trees must stay."""
    return (
        EnergyLedgerEntry.objects.filter(user=user).exists()
        or EnergyDrop.objects.filter(user=user).exists()
        or GreenAction.objects.filter(user=user).exists()
        or Tree.objects.filter(owner=user).exists()
        or Team.objects.filter(created_by=user).exists()
        or TreeContribution.objects.filter(user=user).exists()
    )
