"""The daily consent sweep: nudges 14 and 7 days before a consent lapses, then expiry."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Consent, LinkedFeed, Notification, Profile
from accounts.services.notifications import notification_dispatch

# --------------------------------------------------------------------------------------------
# The daily consent sweep
# --------------------------------------------------------------------------------------------

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SweepResult:
    nudged_14: int = 0
    nudged_7: int = 0
    expired: int = 0
    failed: list[int] = field(default_factory=list)


def _current_consents():
    """Each active feed's newest consent that is neither revoked nor expired."""
    newer = Consent.objects.filter(feed=OuterRef("feed"), granted_at__gt=OuterRef("granted_at"))
    return (
        Consent.objects.filter(
            revoked_at__isnull=True,
            expired_at__isnull=True,
            feed__status=LinkedFeed.Status.ACTIVE,
        )
        .exclude(Exists(newer))
        .select_related("feed", "user__profile")
        .order_by("expires_at", "id")
    )


def consent_sweep(*, now: datetime | None = None) -> SweepResult:
    """Nudge at 14 and 7 days before a consent expires, and expire feeds at expiry.

    Safe to run more than once a day: each step claims its consent with a conditional UPDATE
    and the inbox message has a dedupe key, so nobody is nudged twice.
    """
    now = now or timezone.now()
    result = SweepResult()
    current = _current_consents()
    for consent in current.filter(expires_at__lte=now).iterator(chunk_size=500):
        if _step(consent, "expired", now=now):
            result.expired += 1
    in_7 = now + timedelta(days=7)
    in_14 = now + timedelta(days=14)
    seven = current.filter(expires_at__gt=now, expires_at__lte=in_7, nudged_7_at__isnull=True)
    for consent in seven.iterator(chunk_size=500):
        if _step(consent, "nudge_7", now=now):
            result.nudged_7 += 1
    fourteen = current.filter(expires_at__gt=in_7, expires_at__lte=in_14, nudged_14_at__isnull=True)
    for consent in fourteen.iterator(chunk_size=500):
        if _step(consent, "nudge_14", now=now):
            result.nudged_14 += 1
    return result


def _step(consent: Consent, step: str, *, now: datetime) -> bool:
    """Claim one sweep step for one consent, then notify; False when already done or failed."""
    try:
        with transaction.atomic():
            claim = Consent.objects.filter(pk=consent.pk)
            if step == "expired":
                claimed = claim.filter(expired_at__isnull=True).update(
                    expired_at=now, updated_at=now
                )
                if claimed:
                    LinkedFeed.objects.filter(
                        pk=consent.feed_id, status=LinkedFeed.Status.ACTIVE
                    ).update(status=LinkedFeed.Status.EXPIRED, updated_at=now)
            elif step == "nudge_7":
                # A 14-day nudge that never went out is not sent after the 7-day one.
                claimed = claim.filter(nudged_7_at__isnull=True).update(nudged_7_at=now)
                claim.filter(nudged_14_at__isnull=True).update(nudged_14_at=now)
            else:
                claimed = claim.filter(nudged_14_at__isnull=True).update(nudged_14_at=now)
            if not claimed:
                return False
            _consent_message(consent, step, now=now)
    except Exception:
        # One bad address must not stop everyone else's nudges; the claim was rolled back,
        # so tomorrow's sweep tries again.
        logger.exception("consent sweep step %s failed for consent %s", step, consent.pk)
        return False
    return True


_MESSAGES = {
    "en": {
        "nudge": (
            "Your bank link {feed} expires in {days} days",
            "Renew your consent in the Canopy app to keep collecting green energy from this "
            "account. Without it, Canopy stops reading the account on {date}.",
        ),
        "expired": (
            "Your bank link {feed} has expired",
            "Canopy no longer reads this account. Renew your consent in the Canopy app to "
            "continue collecting green energy.",
        ),
    },
    "nl": {
        "nudge": (
            "Je bankkoppeling {feed} verloopt over {days} dagen",
            "Verleng je toestemming in de Canopy-app om groene energie te blijven verzamelen "
            "met deze rekening. Zonder toestemming leest Canopy de rekening vanaf {date} niet "
            "meer.",
        ),
        "expired": (
            "Je bankkoppeling {feed} is verlopen",
            "Canopy leest deze rekening niet meer. Geef opnieuw toestemming in de Canopy-app "
            "om groene energie te blijven verzamelen.",
        ),
    },
}


def _consent_message(consent: Consent, step: str, *, now: datetime) -> None:
    user = consent.user
    profile = getattr(user, "profile", None)
    locale = profile.locale if profile is not None else Profile.Locale.NL
    texts = _MESSAGES.get(locale, _MESSAGES["en"])
    kind = "expired" if step == "expired" else "nudge"
    title, body = texts[kind]
    days = max(1, math.ceil((consent.expires_at - now).total_seconds() / 86400))
    values = {
        "feed": str(consent.feed),
        "days": days,
        "date": timezone.localtime(consent.expires_at).date().isoformat(),
    }
    title, body = title.format(**values), body.format(**values)
    notification_dispatch(
        user_id=user.pk,
        topic="consent",
        kind=(
            Notification.Kind.CONSENT_EXPIRED
            if step == "expired"
            else Notification.Kind.CONSENT_EXPIRING
        ),
        title=title,
        body=body,
        dedupe_key=f"consent:{consent.pk}:{step}",
        email=True,
        now=now,
    )
