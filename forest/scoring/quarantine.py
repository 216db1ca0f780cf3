"""A regex the database refuses fails every chunk that runs it: switch its owner off instead.

Patterns are checked by the database's engine when saved (``validate_regex``), but one saved
before that check, or refused by a newer server, would still stop the whole night. When a
chunk fails, the active campaigns' and rules' regexes are compiled one by one (a few hundred
short patterns, only on the failure path); the refused ones are switched off with the reason
kept on the row, and the chunk is scored again without them. Their owners are told once the
switch-off commits: a campaign's sponsor team by e-mail (and on the portal) and the operators
through ``mail_admins``; a rule's owners, the operators, through ``mail_admins``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction

from catalogue.models import Campaign
from catalogue.models.matchers import regex_database_error
from catalogue.services.campaign_alerts import campaign_quarantine_notify
from catalogue.services.campaigns import campaign_quarantine
from forest.models import GreenActionRule, RuleMatcher

logger = logging.getLogger(__name__)


def quarantine_refused_regexes() -> list[str]:
    """Switch off every active campaign and rule whose regex the database refuses; returns
    one line per switched-off object (empty: the failure was something else)."""
    quarantined: list[str] = []
    campaign_ids: list[int] = []
    rule_reasons: list[tuple[int, str]] = []
    campaigns = (
        Campaign.objects.filter(is_active=True)
        .exclude(match_description_regex="")
        .values_list("id", "match_description_regex")
    )
    for campaign_id, pattern in campaigns:
        error = regex_database_error(pattern)
        if error is not None and campaign_quarantine(campaign_id, error):
            quarantined.append(f"campaign {campaign_id}: {error}")
            campaign_ids.append(campaign_id)
    rules = (
        GreenActionRule.objects.filter(is_active=True)
        .exclude(match_description_regex="")
        .values_list("id", "match_description_regex")
    )
    for rule_id, pattern in rules:
        error = regex_database_error(pattern)
        if error is None:
            continue
        # Not through rule_save: its validation would refuse the very regex being switched off.
        GreenActionRule.objects.filter(pk=rule_id).update(
            is_active=False, quarantine_reason=error[:300]
        )
        RuleMatcher.objects.filter(rule_id=rule_id).delete()
        quarantined.append(f"rule {rule_id}: {error}")
        rule_reasons.append((rule_id, error))
    for line in quarantined:
        logger.error("scoring quarantined %s", line)
    if quarantined:
        transaction.on_commit(lambda: _tell_owners(campaign_ids, rule_reasons))
    return quarantined


def _tell_owners(campaign_ids: list[int], rule_reasons: list[tuple[int, str]]) -> None:
    for campaign_id in campaign_ids:
        campaign_quarantine_notify(campaign_id=campaign_id)
    site = settings.SITE_URL.rstrip("/")
    for rule_id, reason in rule_reasons:
        mail_admins(
            "Scoring quarantined a green-action rule",
            f"Rule {rule_id} was switched off: {reason}\n"
            f"Admin: {site}/admin/forest/greenactionrule/{rule_id}/change/",
        )
