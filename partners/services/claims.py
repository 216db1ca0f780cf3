"""Claim codes: single-use codes a sponsor prints on receipts or puts in links, worth energy.

A code is ``CNPY-XXXX-XXXX-XXXX-XXXX``: 16 characters from a 32-letter alphabet without the
look-alikes 0/O/1/I, so 80 random bits. The codes of a batch are derived from a random
per-batch seed (HMAC-SHA256 of the seed and the code's number); the database keeps the seed
only, encrypted, until the codes are downloaded once, and after that nothing but a keyed hash
of each code (HMAC-SHA256 with a key derived from SECRET_KEY) and its first four characters.

Creating a batch reserves all its grams from the campaign's budget under the campaign's row
lock; redeeming a code then only moves energy to the user. Redemption is one transaction: a
conditional UPDATE (``redeemed_at IS NULL``) marks the code, and only the request that wins it
creates the drop, its ``earn`` entry (key ``claim:<code id>``) and the balance upsert.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services.crypto import decrypt, encrypt
from catalogue.models import Campaign, Sponsor
from core.locks import lock_rows, lock_user
from core.sql import copy_rows, table
from core.timezones import DEFAULT_TIME_ZONE, limit_day
from forest.models import EnergyDrop
from forest.models.rules import ActionType
from forest.services.energy import drop_grant
from forest.services.holds import EnergyOnHold, energy_hold_refuse
from partners.models import ClaimCode, ClaimCodeBatch

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each, no 0/O/1/I
CODE_PREFIX = "CNPY"
CODE_CHARS = 16  # 16 characters of 5 bits = 80 bits
PREFIX_CHARS = 4

GRAMS_PER_CODE_MAX = 500  # a few days of green habits; the sponsor pays, the user cannot choose
CODES_PER_BATCH_MAX = 100_000
CLAIMS_PER_USER_PER_DAY = 5  # in the user's time zone; a receipt a meal is plenty
# Rows per INSERT/COPY round trip: 100,000 codes in 20 statements keeps memory flat.
INSERT_BATCH_SIZE = 5_000

_NOT_CODE = re.compile(r"[^0-9A-Z]")


class ClaimBatchError(Exception):
    """A batch cannot be created (the budget does not cover it, limits)."""


class ClaimError(Exception):
    """A code cannot be redeemed. ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, *, code: str, status: int):
        super().__init__(message)
        self.code = code
        self.status = status


# --------------------------------------------------------------------------------------------
# Codes and their hashes
# --------------------------------------------------------------------------------------------


def _hash_key() -> bytes:
    return hashlib.sha256(b"canopy.partners.claims:" + settings.SECRET_KEY.encode()).digest()


def _body_from_bytes(raw: bytes) -> str:
    bits = int.from_bytes(raw[:10], "big")  # 80 bits
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))


def code_body(seed: bytes, number: int) -> str:
    """The 16 characters of code ``number`` of the batch with ``seed``."""
    return _body_from_bytes(hmac.digest(seed, number.to_bytes(4, "big"), "sha256"))


def code_format(body: str) -> str:
    groups = [body[i : i + 4] for i in range(0, CODE_CHARS, 4)]
    return "-".join([CODE_PREFIX, *groups])


def code_normalise(value: str) -> str | None:
    """``cnpy 7kq4-m2xh…`` → the 16-character body, or None if it cannot be a code."""
    if not isinstance(value, str) or len(value) > 80:
        return None
    body = _NOT_CODE.sub("", value.upper())
    if len(body) == CODE_CHARS + len(CODE_PREFIX) and body.startswith(CODE_PREFIX):
        body = body[len(CODE_PREFIX) :]
    if len(body) != CODE_CHARS or any(c not in ALPHABET for c in body):
        return None
    return body


def code_hash(body: str, *, key: bytes | None = None) -> str:
    return hmac.new(key or _hash_key(), body.encode("ascii"), hashlib.sha256).hexdigest()


def batch_codes(batch: ClaimCodeBatch, seed: bytes) -> Iterator[str]:
    for number in range(batch.code_count):
        yield code_format(code_body(seed, number))


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


@transaction.atomic
def claim_batch_create(
    *,
    sponsor: Sponsor,
    campaign: Campaign,
    name: str,
    grams_per_code: int,
    code_count: int,
    valid_from: datetime,
    valid_until: datetime,
    created_by: User | None,
) -> ClaimCodeBatch:
    """Reserve the batch's grams from the campaign's budget and store its codes' hashes."""
    if campaign.sponsor_id != sponsor.pk:
        raise ClaimBatchError(gettext("No such campaign."))
    if not (0 < grams_per_code <= GRAMS_PER_CODE_MAX):
        raise ClaimBatchError(
            gettext("A code gives between 1 and %(max)s g.") % {"max": GRAMS_PER_CODE_MAX}
        )
    if not (0 < code_count <= CODES_PER_BATCH_MAX):
        raise ClaimBatchError(
            gettext("A batch has between 1 and %(max)s codes.") % {"max": CODES_PER_BATCH_MAX}
        )
    if valid_until <= valid_from:
        raise ClaimBatchError(gettext("The codes must be valid until after they become valid."))
    needed = grams_per_code * code_count
    # Scoring raises spent_grams under this lock too: reserving here means neither can overrun.
    locked = lock_rows(Campaign.objects).get(pk=campaign.pk)
    if locked.remaining_grams < needed:
        raise ClaimBatchError(
            gettext(
                "The campaign's budget does not cover this batch: it needs %(needed)s g, "
                "%(left)s g are left."
            )
            % {"needed": needed, "left": locked.remaining_grams}
        )
    locked.spent_grams += needed
    locked.save(update_fields=["spent_grams", "updated_at"])
    seed = secrets.token_bytes(32)
    batch = ClaimCodeBatch.objects.create(
        sponsor=sponsor,
        campaign=locked,
        name=name,
        grams_per_code=grams_per_code,
        code_count=code_count,
        reserved_grams=needed,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=created_by,
        code_seed=encrypt(seed.hex()),
    )
    _codes_insert(batch.pk, seed, code_count)
    return batch


def _code_rows(batch_id: int, seed: bytes, count: int) -> list[tuple[int, str, str]]:
    key = _hash_key()
    rows = []
    for number in range(count):
        body = code_body(seed, number)
        rows.append((batch_id, code_hash(body, key=key), body[:PREFIX_CHARS]))
    return rows


def _codes_insert(batch_id: int, seed: bytes, count: int) -> None:
    """Hashes of every code: COPY on PostgreSQL, executemany elsewhere, in batches."""
    rows = _code_rows(batch_id, seed, count)
    if len({h for _b, h, _p in rows}) != len(rows):  # 80 bits: never, but never silently
        raise ClaimBatchError(gettext("Could not generate unique codes; please try again."))
    columns = ("batch_id", "code_hash", "prefix")
    copy_rows(table(ClaimCode), columns, rows, chunk_size=INSERT_BATCH_SIZE)


@dataclass(frozen=True)
class BatchDownload:
    batch: ClaimCodeBatch
    codes: list[str]


@transaction.atomic
def claim_batch_download(*, batch_id: int, sponsor: Sponsor, user: User) -> BatchDownload | None:
    """The batch's codes in plain text, once: the seed is erased in the same transaction.

    None if they were downloaded already (or never existed for this sponsor's batch).
    """
    batch = lock_rows(ClaimCodeBatch.objects).filter(pk=batch_id, sponsor=sponsor).first()
    if batch is None or batch.downloaded_at is not None or not batch.code_seed:
        return None
    seed = bytes.fromhex(decrypt(batch.code_seed))
    batch.code_seed = ""
    batch.downloaded_at = timezone.now()
    batch.downloaded_by = user
    batch.save(update_fields=["code_seed", "downloaded_at", "downloaded_by", "updated_at"])
    return BatchDownload(batch=batch, codes=list(batch_codes(batch, seed)))


# A redemption checks the window when it starts; waiting this long after the end means none
# that started in time can still be open when the unused grams are counted and released.
RELEASE_GRACE = timedelta(hours=1)


@transaction.atomic
def claim_batch_release_unused(
    *, batch_id: int, sponsor: Sponsor, now: datetime | None = None
) -> int:
    """Give the grams of an expired batch's unredeemed codes back to its campaign, once.

    Returns the grams released (0 if they were released already).
    """
    now = now or timezone.now()
    batch = lock_rows(ClaimCodeBatch.objects).filter(pk=batch_id, sponsor=sponsor).first()
    if batch is None:
        raise Http404("No such batch.")
    if batch.released_at is not None:
        return 0
    if now < batch.valid_until + RELEASE_GRACE:
        raise ClaimBatchError(
            gettext("Unused grams can be given back an hour after the codes have expired.")
        )
    campaign = lock_rows(Campaign.objects).get(pk=batch.campaign_id)
    redeemed = batch.codes.filter(redeemed_at__isnull=False).count()
    grams = (batch.code_count - redeemed) * batch.grams_per_code
    campaign.spent_grams -= grams
    campaign.save(update_fields=["spent_grams", "updated_at"])
    batch.released_at = now
    batch.released_grams = grams
    batch.save(update_fields=["released_at", "released_grams", "updated_at"])
    return grams


def claim_batch_csv_rows(download: BatchDownload) -> Iterator[list[str]]:
    batch = download.batch
    valid_from = timezone.localtime(batch.valid_from).isoformat()
    valid_until = timezone.localtime(batch.valid_until).isoformat()
    yield ["code", "grams", "valid_from", "valid_until", "batch"]
    for code in download.codes:
        yield [code, str(batch.grams_per_code), valid_from, valid_until, batch.name]


# --------------------------------------------------------------------------------------------
# Redemption
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    code_id: int
    drop: EnergyDrop
    sponsor_name: str
    campaign_name: str


def _invalid() -> ClaimError:
    return ClaimError(gettext("This code is not valid."), code="invalid_code", status=400)


@transaction.atomic
def claim_code_redeem(*, user_id: int, code: str, now: datetime | None = None) -> Claimed:
    """Redeem ``code`` for the user: a drop of the batch's grams, ripe the next 07:00 local."""
    now = now or timezone.now()
    body = code_normalise(code)
    if body is None:
        raise _invalid()
    try:
        energy_hold_refuse(user_id, action="claim")
    except EnergyOnHold as exc:
        raise ClaimError(str(exc), code=exc.code, status=exc.status) from exc
    # One user's claims queue here, so two at once cannot both pass the daily cap.
    user = lock_user(user_id, related=("profile",))
    claim = (
        ClaimCode.objects.select_related("batch__campaign__sponsor")
        .filter(code_hash=code_hash(body))
        .first()
    )
    if claim is None:
        raise _invalid()
    batch = claim.batch
    if claim.redeemed_at is not None:
        raise ClaimError(gettext("This code has been used already."), code="used", status=409)
    if now >= batch.valid_until:
        raise ClaimError(gettext("This code has expired."), code="expired", status=410)
    if now < batch.valid_from:
        raise ClaimError(gettext("This code is not valid yet."), code="not_yet_valid", status=409)
    if not (batch.campaign.is_active and batch.campaign.sponsor.is_active):
        raise ClaimError(
            gettext("This sponsor's campaign has ended."), code="campaign_inactive", status=409
        )
    profile = getattr(user, "profile", None)
    tz_name = profile.time_zone if profile else DEFAULT_TIME_ZONE
    day = profile.limit_day_at(now) if profile else limit_day(now, None)
    today = ClaimCode.objects.filter(
        redeemed_by_id=user_id, redeemed_at__gte=day.start, redeemed_at__lt=day.end
    ).count()
    if today >= CLAIMS_PER_USER_PER_DAY:
        raise ClaimError(
            gettext("You can claim at most %(n)s codes a day. Try again tomorrow.")
            % {"n": CLAIMS_PER_USER_PER_DAY},
            code="daily_cap",
            status=409,
        )
    won = ClaimCode.objects.filter(pk=claim.pk, redeemed_at__isnull=True).update(
        redeemed_at=now, redeemed_by_id=user_id
    )
    if not won:
        raise ClaimError(gettext("This code has been used already."), code="used", status=409)
    drop = drop_grant(
        user_id=user_id,
        grams=batch.grams_per_code,
        action_type=ActionType.SPONSOR_PRODUCT,
        idempotency_key=f"claim:{claim.pk}",
        tz_name=tz_name,
        now=now,
        memo=f"claim code batch {batch.pk}",
    )
    ClaimCode.objects.filter(pk=claim.pk).update(drop=drop)
    return Claimed(
        code_id=claim.pk,
        drop=drop,
        sponsor_name=batch.campaign.sponsor.name,
        campaign_name=batch.campaign.name,
    )
