"""The game's pace knobs that are not per rule: one row, edited by operators in the admin.

Per-action daily caps live on each ``GreenActionRule`` and species costs on each
``catalogue.Species``; what is left is a person's whole day and a newcomer's first night
(docs/economy.md explains how the three together set the pace).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

#: Ant Forest caps its steps channel at 296 g a day; the whole day is capped at about that.
DEFAULT_DAILY_TOTAL_CAP_GRAMS = 300
#: A first night with weeks of history earns one day's total, not weeks of it.
DEFAULT_FIRST_NIGHT_CAP_GRAMS = 300


class EnergyLimits(models.Model):
    """The per-user daily total cap and the first-night cap (a singleton, ``pk`` 1).

    Empty means no such limit. Scoring reads the row once per chunk; a change counts from the
    next chunk on and never rescores what was awarded.
    """

    SINGLETON_PK = 1

    daily_total_cap_grams = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=DEFAULT_DAILY_TOTAL_CAP_GRAMS,
        help_text=_(
            "The most base energy one user earns from all green actions booked on one day "
            "(campaign bonuses come on top). Empty: no total cap."
        ),
        verbose_name=_("daily total cap (grams)"),
    )
    first_night_cap_grams = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=DEFAULT_FIRST_NIGHT_CAP_GRAMS,
        help_text=_(
            "The most base energy a user earns in the night their first transactions are "
            "scored, however many days of history arrive. Empty: no first-night cap."
        ),
        verbose_name=_("first-night cap (grams)"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("energy limits")
        verbose_name_plural = _("energy limits")
        constraints = [
            models.CheckConstraint(name="forest_energylimits_singleton", condition=models.Q(pk=1))
        ]

    def __str__(self) -> str:
        return str(_("Energy limits"))

    @classmethod
    def current(cls) -> EnergyLimits:
        """The operators' row, or the shipped defaults if nobody saved one (never writes)."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)
