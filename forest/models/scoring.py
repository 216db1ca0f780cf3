"""Nightly scoring runs, split into chunks of users that workers claim independently."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ScoringRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(auto_now_add=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status")
    )
    triggered_by = models.CharField(max_length=64, default="beat", verbose_name=_("triggered by"))
    since = models.DateField(null=True, blank=True, verbose_name=_("since"))
    only_user_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("only user id"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return gettext("Scoring run %(id)s (%(status)s)") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }


class ScoringChunk(models.Model):
    """Users ``user_id_from``..``user_id_to`` of one run. Claimed by locking its row; its work
    commits in the same transaction as ``status = done``, so a killed worker leaves nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    run = models.ForeignKey(
        ScoringRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("run")
    )
    user_id_from = models.BigIntegerField(verbose_name=_("user id from"))
    user_id_to = models.BigIntegerField(verbose_name=_("user id to"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    # When a worker last took the chunk's task (committed before scoring starts). A pending
    # chunk that was started but whose row is no longer locked lost its worker: the sweeper
    # sends it again within a minute, whatever the broker's redelivery (docs/failure-modes.md).
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    # When the chunk's task was last handed to the broker. A pending chunk of a running run that
    # was neither sent nor started lost its message before it left (the broker went away while
    # the night fanned out): the watchdog sends it within a minute (docs/failure-modes.md).
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    transactions_scored = models.PositiveIntegerField(
        default=0, verbose_name=_("transactions scored")
    )
    green_actions = models.PositiveIntegerField(default=0, verbose_name=_("green actions"))
    grams_awarded = models.BigIntegerField(default=0, verbose_name=_("grams awarded"))
    reversals = models.PositiveIntegerField(default=0, verbose_name=_("reversals"))
    skipped = models.PositiveIntegerField(default=0, verbose_name=_("skipped"))
    skipped_examples = models.JSONField(
        default=list, blank=True, verbose_name=_("skipped examples")
    )
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # The Celery worker that scored it (its node name, e.g. celery@score-2): which hosts a
    # night's work spread over (docs/scale.md); empty when scored inline (the command).
    worker = models.CharField(max_length=255, blank=True, default="", verbose_name=_("worker"))

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        ordering = ["run", "user_id_from"]

    def __str__(self) -> str:
        return gettext("Chunk %(id)s: users %(first)s to %(last)s (%(status)s)") % {
            "id": self.pk,
            "first": self.user_id_from,
            "last": self.user_id_to,
            "status": self.get_status_display(),
        }
