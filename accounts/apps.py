import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("accounts.push")


def _log_push_channel(**kwargs) -> None:
    """At worker start: say whether pushes go out. A log line, not a system check: production
    settings without Firebase must still pass ``check --deploy`` with no issues."""
    from accounts.integrations.fcm import push_configured

    if push_configured():
        logger.info("push channel on: FCM HTTP v1")
    else:
        logger.info(
            "push channel off: no FCM credentials (CANOPY_PUSH_FCM_CREDENTIALS_FILE or _JSON); "
            "pushes are recorded with outcome 'channel_off', not sent"
        )


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and feeds")

    def ready(self) -> None:
        from celery.signals import worker_ready

        from accounts import (
            authentication,  # noqa: F401  (drops cached users on save)
            checks,  # noqa: F401  (registers the system checks)
        )
        from core import readcache

        readcache.connect_signals()  # rows naming a user drop that user's read documents
        worker_ready.connect(_log_push_channel, weak=False, dispatch_uid="accounts.push_channel")
