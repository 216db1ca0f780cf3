"""Large uploads imported in the background: the job the app polls."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models.feeds import ImportBatch, LinkedFeed
from accounts.models.users import User
from core.models import TimeStampedModel


class ImportJob(TimeStampedModel):
    """An uploaded file waiting for, or going through, ``import_job_run_task``.

    The file is stored encrypted (``accounts.services.import_jobs``) until the job is done or
    failed, then deleted. The import itself is an ``ImportBatch``, committed together with the
    job's ``done``, so a task run twice imports once. The id is a UUID: it is in URLs.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("user")
    )
    feed = models.ForeignKey(
        LinkedFeed, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("feed")
    )
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.QUEUED, verbose_name=_("state")
    )
    file_name = models.CharField(max_length=255, blank=True, verbose_name=_("file name"))
    format = models.CharField(max_length=32, verbose_name=_("format"))
    file_size = models.PositiveBigIntegerField(default=0, verbose_name=_("file size"))
    # Name in the default storage of the encrypted file; "" once the job finished.
    stored_name = models.CharField(max_length=255, blank=True, verbose_name=_("stored name"))
    # Records the file holds, counted when it was stored (CSV lines, camt.053 entries, OFX
    # transactions); null for JSON.
    rows_total = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("rows total"))
    rows_processed = models.PositiveIntegerField(default=0, verbose_name=_("rows processed"))
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import batch"),
    )
    # The whole-file error of a rejected or failed import: line, field, where, message.
    error = models.JSONField(null=True, blank=True, verbose_name=_("error"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="accounts_importjob_user"),
        ]

    def __str__(self) -> str:
        return gettext("Import job %(id)s (%(state)s)") % {
            "id": self.pk,
            "state": self.get_state_display(),
        }
