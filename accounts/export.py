"""Everything Canopy holds about one user, as one JSON document (GDPR article 20).

``user_export_chunks`` yields the document piece by piece: one query per section, each read
with a database-side cursor in chunks (``iterator(chunk_size=…)``), so a user with 100k
transactions costs the same number of queries as a new one and never sits in memory at once.
Access tokens of linked banks are never part of it, not even encrypted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone

from accounts.models import (
    Consent,
    Friendship,
    ImportBatch,
    LinkedFeed,
    Notification,
    Profile,
    Transaction,
    User,
)

EXPORT_FORMAT = "canopy-export/1"
# Rows fetched per round trip; large enough for few round trips, small enough for flat memory.
CHUNK_SIZE = 2000

_encoder = DjangoJSONEncoder(ensure_ascii=False)


def _dumps(value) -> str:
    return _encoder.encode(value)


def _section(name: str, rows: Iterable[dict], *, first: bool = False) -> Iterator[str]:
    yield ("" if first else ",") + f"\n{_dumps(name)}: ["
    for i, row in enumerate(rows):
        yield ("" if i == 0 else ",") + "\n  " + _dumps(row)
    yield "\n]"


def _rows(queryset, *fields: str, **renamed) -> Iterator[dict]:
    """``values()`` rows read in chunks; ``renamed`` maps output names to lookups."""
    names = list(fields) + list(renamed)
    qs = queryset.values(*fields, **{k: F(v) for k, v in renamed.items()})
    for row in qs.iterator(chunk_size=CHUNK_SIZE):
        yield {name: row[name] for name in names}


def _profile(user: User) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "display_name": profile.display_name if profile else "",
        "locale": profile.locale if profile else "",
        "time_zone": profile.time_zone if profile else "",
        "city": profile.city if profile else "",
        "steal_opt_out": profile.steal_opt_out if profile else False,
    }


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
    fields = [
        "id",
        "feed_id",
        "provider",
        "provider_txn_id",
        "status",
        "amount",
        "currency",
        "booking_date",
        "transaction_date",
        "merchant_name",
        "merchant_id",
        "mcc",
        "provider_category",
        "description",
        "raw",
        "is_reversal",
        "created_at",
        "removed_at",
        "redacted_at",
    ]
    ga = {
        "ga_id": "live__id",
        "ga_action_type": "live__action_type",
        "ga_grams": "live__grams",
        "ga_rule": "live__rule__code",
    }
    for row in qs.values(*fields, **{k: F(v) for k, v in ga.items()}).iterator(
        chunk_size=CHUNK_SIZE
    ):
        out = {name: row[name] for name in fields}
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
    from forest.models import Certificate, Tree

    qs = Certificate.objects.filter(tree__in=Tree.objects.visible_to(user.pk)).order_by("id")
    for row in _rows(qs, "number", "tree_id", "issued_at"):
        row["verification_url"] = verification_url(row["number"])
        yield row


def user_export_chunks(*, user: User, verification_url: Callable[[str], str]) -> Iterator[str]:
    """The export document as text pieces, in a fixed number of queries."""
    from catalogue.models import SponsorMembership
    from forest.models import (
        EnergyBalance,
        EnergyDrop,
        EnergyLedgerEntry,
        EnergyTransfer,
        GreenAction,
        TeamInvitation,
        TeamMembership,
        Tree,
        TreeContribution,
    )
    from partners.models import PlantingOrder

    uid = user.pk
    yield "{"
    yield f"\n{_dumps('format')}: {_dumps(EXPORT_FORMAT)}"
    yield f",\n{_dumps('generated_at')}: {_dumps(timezone.now())}"
    yield f",\n{_dumps('profile')}: {_dumps(_profile(user))}"
    yield from _section(
        "feeds",
        _rows(
            LinkedFeed.objects.filter(user_id=uid).order_by("id"),
            "id",
            "provider",
            "account_ref",
            "display_name",
            "status",
            "unstable_ids",
            "last_synced_at",
            "last_error",
            "created_at",
            # The state of the bank link at Plaid; never its tokens or item id.
            plaid_adapter="plaid_item__adapter",
            plaid_removal_requested_at="plaid_item__removal_requested_at",
            plaid_removed_at="plaid_item__removed_at",
        ),
    )
    yield from _section(
        "consents",
        _rows(
            Consent.objects.filter(user_id=uid).order_by("id"),
            "id",
            "feed_id",
            "scopes",
            "purpose",
            "granted_at",
            "expires_at",
            "revoked_at",
            "expired_at",
        ),
    )
    yield from _section(
        "imports",
        _rows(
            ImportBatch.objects.filter(feed__user_id=uid).order_by("id"),
            "id",
            "feed_id",
            "source",
            "format",
            "status",
            "file_name",
            "count_new",
            "count_updated",
            "count_duplicate",
            "count_removed",
            "count_rejected",
            "errors",
            "created_at",
            "finished_at",
        ),
    )
    yield from _section("transactions", _transactions(user))
    yield from _section(
        "green_actions",
        _rows(
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
    yield from _section(
        "drops",
        _rows(
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
    yield from _section(
        "ledger",
        _rows(
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
    yield from _section(
        "balances",
        _rows(EnergyBalance.objects.filter(user_id=uid).order_by("account"), "account", "grams"),
    )
    yield from _section(
        "trees",
        _rows(
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
    yield from _section(
        "tree_contributions",
        _rows(
            TreeContribution.objects.filter(user_id=uid).order_by("id"),
            "tree_id",
            "grams",
            "created_at",
        ),
    )
    yield from _section(
        "planting_orders",
        _rows(
            PlantingOrder.objects.filter(tree__owner_id=uid).order_by("id"),
            "id",
            "tree_id",
            "state",
            "planted_at",
            "planted_latitude",
            "planted_longitude",
            "verified_at",
            "created_at",
            forest_name="forest__name",
        ),
    )
    yield from _section("certificates", _certificates(user, verification_url))
    yield from _section(
        "team_memberships",
        _rows(
            TeamMembership.objects.filter(user_id=uid).order_by("id"),
            "team_id",
            "status",
            "joined_at",
            "created_at",
            team_name="team__name",
        ),
    )
    # Invitations to the user, and those they sent, without the addresses of other people.
    yield from _section(
        "team_invitations",
        _rows(
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
    # Friends by user id only: their names and addresses are theirs, not this user's data.
    yield from _section(
        "friendships",
        _rows(
            Friendship.objects.filter(Q(user_low_id=uid) | Q(user_high_id=uid)).order_by("id"),
            "user_low_id",
            "user_high_id",
            "requested_by_id",
            "status",
            "accepted_at",
            "created_at",
        ),
    )
    yield from _section(
        "energy_transfers",
        _rows(
            EnergyTransfer.objects.filter(Q(from_user_id=uid) | Q(to_user_id=uid)).order_by("id"),
            "kind",
            "from_user_id",
            "to_user_id",
            "grams",
            "drop_id",
            "created_at",
        ),
    )
    yield from _section(
        "sponsor_memberships",
        _rows(
            SponsorMembership.objects.filter(user_id=uid).order_by("id"),
            "role",
            "created_at",
            sponsor_name="sponsor__name",
        ),
    )
    yield from _section(
        "notifications",
        _rows(
            Notification.objects.filter(user_id=uid).order_by("id"),
            "id",
            "kind",
            "title",
            "body",
            "created_at",
            "read_at",
        ),
    )
    yield "\n}\n"


def user_export_filename(user: User) -> str:
    return f"canopy-export-{user.pk}-{timezone.now():%Y%m%d}.json"


def user_export_json(*, user: User, verification_url: Callable[[str], str]) -> dict:
    """The whole document in memory: for tests and operators, never for the API."""
    return json.loads("".join(user_export_chunks(user=user, verification_url=verification_url)))
