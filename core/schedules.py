"""Periodic tasks, created in django-celery-beat's tables once so operators own them afterwards.

Defining them in CELERY_BEAT_SCHEDULE would make beat overwrite an operator's edit (say, moving
the scoring from 02:00 to 03:00 in the admin) at every restart; creating missing rows after
``migrate`` keeps the defaults here and the decisions in the admin.
"""

from __future__ import annotations

# name: (task, crontab fields minute/hour/day_of_week/day_of_month/month_of_year, description)
DEFAULT_SCHEDULES: dict[str, tuple[str, dict[str, str], str]] = {
    "forest: nightly scoring": (
        "forest.tasks.nightly_scoring_task",
        {"minute": "0", "hour": "2"},
        "Scores yesterday's transactions into green energy (T+1, as Ant Forest).",
    ),
    "forest: requeue lost scoring chunks": (
        "forest.tasks.scoring_chunks_requeue_task",
        {"minute": "*/15", "hour": "*"},
        "Sends again the scoring chunks whose tasks were lost, so a run does not stay running.",
    ),
    "forest: scoring watchdog": (
        "forest.tasks.scoring_watchdog_task",
        {"minute": "*", "hour": "*"},
        "Sends again, within a minute, the scoring chunks whose worker died, and starts the "
        "nightly scoring if a broker outage lost beat's message (docs/failure-modes.md).",
    ),
    "forest: expire drops": (
        "forest.tasks.drops_expire_task",
        {"minute": "15", "hour": "*"},
        "Expires drops not collected within 72 hours.",
    ),
    "forest: ledger audit": (
        "forest.tasks.ledger_audit_task",
        {"minute": "30", "hour": "4"},
        "Checks cached balances against the sum of ledger entries and reports drift.",
    ),
    "forest: fraud sweep": (
        "forest.tasks.fraud_sweep_task",
        {"minute": "45", "hour": "4"},
        "Raises fraud signals (bot-like collecting, refund cycling, cap pressing, shared feed "
        "accounts) for review in the admin, after the nightly scoring.",
    ),
    "forest: badges and challenges": (
        "forest.tasks.achievements_nightly_task",
        {"minute": "0", "hour": "5"},
        "Awards badges and completes challenges (paying their bonus once), after the nightly "
        "scoring.",
    ),
    "partners: submit planting orders": (
        "partners.tasks.planting_orders_submit_all_task",
        {"minute": "30", "hour": "3"},
        "Sends requested planting orders in their species' planting season to the partners "
        "(after the nightly scoring; out-of-season orders wait with a reason).",
    ),
    "partners: retry planting orders": (
        "partners.tasks.planting_orders_retry_task",
        {"minute": "*/15", "hour": "*"},
        "Sends again the planting orders a partner outage kept back, each after its backoff "
        "(5 minutes doubling to 6 hours; docs/failure-modes.md).",
    ),
    "accounts: consent sweep": (
        "accounts.tasks.consent_sweep_task",
        {"minute": "0", "hour": "7"},
        "Re-consent nudges at T-14 and T-7 days, expiry at T.",
    ),
    "accounts: pull feeds": (
        "accounts.tasks.feeds_pull_task",
        {"minute": "0", "hour": "1"},
        "Pulls new transactions from aggregator feeds before the nightly scoring.",
    ),
    "accounts: release held notifications": (
        "accounts.tasks.outbound_release_task",
        {"minute": "*/5", "hour": "*"},
        "Sends the e-mails held through users' quiet hours once those are over.",
    ),
    "accounts: deliver pushes": (
        "accounts.tasks.push_deliver_task",
        {"minute": "*", "hour": "*"},
        "Sends due push notifications through FCM: quiet hours, daily budget, retries with "
        "backoff, invalid tokens pruned (docs/push.md).",
    ),
    "forest: energy is ripe (push)": (
        "forest.tasks.ripe_energy_notify_task",
        {"minute": "*/15", "hour": "*"},
        "One push per user per day when their drops have ripened, never one per drop.",
    ),
    "forest: drops expiring (push)": (
        "forest.tasks.drops_expiring_notify_task",
        {"minute": "5", "hour": "*"},
        "One push per user 12 hours before their open drops expire.",
    ),
    "forest: friends took energy (push)": (
        "forest.tasks.steals_summary_notify_task",
        {"minute": "0", "hour": "20"},
        "One push per user summarising the energy friends took from them today.",
    ),
    "forest: sponsor campaigns (push)": (
        "forest.tasks.campaign_news_notify_task",
        {"minute": "0", "hour": "11"},
        "Tells opted-in users of a sponsor campaign that starts today and is meant for them "
        "(at most one sponsor push a week each).",
    ),
}


def ensure_default_schedules(**kwargs) -> None:
    """post_migrate: create the default periodic tasks that do not exist yet; never overwrite."""
    # lazy: settings import this module, before the app registry (and these models) is ready.
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, (task, cron, description) in DEFAULT_SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields = {"day_of_week": "*", "day_of_month": "*", "month_of_year": "*", **cron}
        schedule, _ = CrontabSchedule.objects.get_or_create(timezone="Europe/Amsterdam", **fields)
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule, description=description)
