"""Green-action rules (operator-editable, versioned) and the green actions scoring derives."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.normalise import normalise_merchant
from catalogue.models.matchers import validate_mcc_list, validate_regex, validate_string_list
from core.models import TimeStampedModel

# Scoring compares the first one, two or three words of a transaction's name with the rules'
# names (forest.scoring.classify); a longer name matches on its first three words.
NAME_KEY_WORDS = 3


def validate_name_list(value) -> None:
    """Aliases and exclusions: names that normalise to one to three words."""
    validate_string_list(value)
    for name in value:
        norm = normalise_merchant(name)
        if not norm:
            raise ValidationError(
                _("%(name)s names no merchant once normalised (a bank, a payment processor?)."),
                params={"name": name},
            )
        if len(norm.split()) > NAME_KEY_WORDS:
            raise ValidationError(
                _("%(name)s: at most three words are compared; shorten it."),
                params={"name": name},
            )


class ActionType(models.TextChoices):
    PUBLIC_TRANSPORT = "public_transport", _("Public transport")
    RAIL = "rail", _("Rail")
    BIKE = "bike", _("Bike and scooter share")
    SECOND_HAND = "second_hand", _("Second-hand")
    REPAIR_RENTAL = "repair_rental", _("Repair, rental, sharing")
    EV_CHARGING = "ev_charging", _("EV charging")
    PAPERLESS = "paperless", _("Paperless")
    SPONSOR_PRODUCT = "sponsor_product", _("Sponsor's green product")
    NEGATIVE_SIGNAL = "negative_signal", _("Footprint signal (no energy)")


class EstimateKind(models.TextChoices):
    FIXED = "fixed", _("Fixed grams")
    PER_CURRENCY_UNIT = "per_currency_unit", _("Grams per euro spent")
    PER_KM_FROM_FARE = "per_km_from_fare", _("Per km, km derived from the fare")


class GreenActionRule(TimeStampedModel):
    """How one kind of green choice is recognised in a transaction and what it is worth.

    Editing a rule bumps ``version`` and snapshots it (GreenActionRuleVersion); green actions
    keep the version and grams they were awarded with, so an edit never changes past energy.
    """

    code = models.SlugField(max_length=64, unique=True, verbose_name=_("code"))
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    name_en = models.CharField(max_length=120, verbose_name=_("name en"))
    name_nl = models.CharField(max_length=120, verbose_name=_("name nl"))
    action_type = models.CharField(
        max_length=32, choices=ActionType.choices, verbose_name=_("action type")
    )
    priority = models.IntegerField(
        default=100, help_text=_("Higher wins when several match."), verbose_name=_("priority")
    )
    match_mccs = models.JSONField(
        default=list, blank=True, validators=[validate_mcc_list], verbose_name=_("match mccs")
    )
    match_merchants = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_string_list],
        help_text=_("Normalised merchant names (lower case, no punctuation or legal suffix)."),
        verbose_name=_("match merchants"),
    )
    match_aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_name_list],
        help_text=_(
            'Other names banks write for this rule\'s merchants ("NS GROEP", "DB BAHN"),'
            " normalised on save. Like the merchants, an alias matches the first whole words of"
            " a transaction's merchant name, or of its description when the name is empty."
        ),
        verbose_name=_("match aliases"),
    )
    exclude_names = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_name_list],
        help_text=_(
            "Names that start like one of this rule's merchants but are another business"
            ' ("DB Schenker" for rail, "Shell Recharge" is not fuel). A transaction whose'
            " name starts with one matches no rule by name; the longest matching name wins."
        ),
        verbose_name=_("exclude names"),
    )
    match_merchant_ids = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_string_list],
        verbose_name=_("match merchant ids"),
    )
    match_categories = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_string_list],
        verbose_name=_("match categories"),
    )
    match_description_regex = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_regex],
        help_text=_("Case-insensitive; matched against the transaction description."),
        verbose_name=_("match description regex"),
    )
    estimate_kind = models.CharField(
        max_length=24, choices=EstimateKind.choices, verbose_name=_("estimate kind")
    )
    fixed_grams = models.PositiveIntegerField(default=0, verbose_name=_("fixed grams"))
    grams_per_unit = models.DecimalField(
        max_digits=10, decimal_places=3, default=Decimal("0"), verbose_name=_("grams per unit")
    )
    fare_per_km = models.DecimalField(
        max_digits=8, decimal_places=4, default=Decimal("0"), verbose_name=_("fare per km")
    )
    grams_per_km = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), verbose_name=_("grams per km")
    )
    substitution_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("1"), verbose_name=_("substitution share")
    )
    method = models.TextField(
        help_text=_("The formula in words, shown to users as the 'why'."), verbose_name=_("method")
    )
    source = models.TextField(help_text=_("Where the factors come from."), verbose_name=_("source"))
    daily_cap_grams = models.PositiveIntegerField(default=1000, verbose_name=_("daily cap grams"))
    awards_energy = models.BooleanField(default=True, verbose_name=_("awards energy"))
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # Set by scoring when the database refused this rule's regex: it was switched off.
    quarantine_reason = models.CharField(
        max_length=300, blank=True, editable=False, verbose_name=_("quarantine reason")
    )

    class Meta:
        verbose_name = _("green action rule")
        verbose_name_plural = _("green action rules")
        ordering = ["-priority", "code"]
        constraints = [
            models.CheckConstraint(
                name="forest_rule_share_0_1",
                condition=models.Q(substitution_share__gte=0, substitution_share__lte=1),
            ),
            models.CheckConstraint(
                name="forest_rule_fare_positive_for_km",
                condition=~models.Q(estimate_kind="per_km_from_fare") | models.Q(fare_per_km__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} (v{self.version})"

    def clean(self) -> None:
        # Stored normalised, as scoring compares them; the catalogue's are normalised already.
        self.match_merchants = _normalised_names(self.match_merchants)
        self.match_aliases = _normalised_names(self.match_aliases)
        self.exclude_names = _normalised_names(self.exclude_names)
        for field in ("match_merchants", "match_aliases", "exclude_names"):
            if "" in (getattr(self, field) or []):
                raise ValidationError(
                    {field: _("A name normalises to nothing (a bank or payment processor?).")}
                )
        if not (
            self.match_mccs
            or self.match_merchants
            or self.match_aliases
            or self.match_merchant_ids
            or self.match_categories
            or self.match_description_regex
        ):
            raise ValidationError(_("A rule needs at least one matcher."))
        if self.estimate_kind == EstimateKind.PER_KM_FROM_FARE and not self.fare_per_km:
            raise ValidationError({"fare_per_km": _("Required for per-km estimates.")})
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("Must be after valid from.")})

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en


def _normalised_names(names) -> list:
    if not isinstance(names, list):
        return names  # the field's validator reports it
    return list(
        dict.fromkeys(normalise_merchant(n) if isinstance(n, str) and n else n for n in names)
    )


class GreenActionRuleVersion(models.Model):
    """An immutable snapshot of a rule as it was when a version was awarded."""

    rule = models.ForeignKey(
        GreenActionRule, on_delete=models.PROTECT, related_name="versions", verbose_name=_("rule")
    )
    version = models.PositiveIntegerField(verbose_name=_("version"))
    snapshot = models.JSONField(verbose_name=_("snapshot"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("green action rule version")
        verbose_name_plural = _("green action rule versions")
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="forest_rule_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version}"


class RuleMatcher(models.Model):
    """The equality matchers of the active rules, one row each, so scoring can join on them.

    Derived from GreenActionRule by ``rule_matchers_rebuild`` whenever a rule is saved.
    """

    class Kind(models.TextChoices):
        MCC = "mcc"
        MERCHANT = "merchant"
        ALIAS = "alias"
        EXCLUDE = "exclude"
        MERCHANT_ID = "merchant_id"
        CATEGORY = "category"

    rule = models.ForeignKey(
        GreenActionRule, on_delete=models.CASCADE, related_name="matchers", verbose_name=_("rule")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    value = models.CharField(max_length=200, verbose_name=_("value"))

    class Meta:
        verbose_name = _("rule matcher")
        verbose_name_plural = _("rule matchers")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "kind", "value"], name="forest_matcher_unique")
        ]
        indexes = [models.Index(fields=["kind", "value"], name="forest_matcher_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class CurrencyRate(models.Model):
    """Euro value of one unit of a currency; rules are written in euros."""

    currency = models.CharField(max_length=3, primary_key=True, verbose_name=_("currency"))
    eur_per_unit = models.DecimalField(
        max_digits=14, decimal_places=8, verbose_name=_("eur per unit")
    )
    source = models.CharField(max_length=200, blank=True, verbose_name=_("source"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("currency rate")
        verbose_name_plural = _("currency rates")
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"{self.currency} = {self.eur_per_unit} EUR"


class GreenAction(models.Model):
    """One transaction classified as a green choice: the rule, its version, the inputs, the grams.

    ``grams`` is what the user was awarded (negative for a refund or reversal that claws back).
    Rows are written by scoring and never edited: a removed transaction or a re-score only sets
    ``reversed_at`` (with a reversal ledger entry), and a re-score then adds a new row.
    """

    # Scoring writes ~10k of these rows per statement, from one join over rows it has just
    # read and claimed: per-row foreign-key triggers cost a third of a run
    # (benchmarks/scoring_bench.py), so none of these keys is a database constraint; Django
    # still enforces PROTECT and CASCADE when rows are deleted through the ORM.
    transaction = models.ForeignKey(
        "accounts.Transaction",
        on_delete=models.PROTECT,
        related_name="green_actions",
        db_constraint=False,
        verbose_name=_("transaction"),
    )
    # The others carry no index of their own either; a composite index or nothing needs one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("user"),
    )
    rule = models.ForeignKey(
        GreenActionRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("rule"),
    )
    rule_version = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("rule version")
    )
    campaign = models.ForeignKey(
        "catalogue.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("campaign"),
    )
    action_type = models.CharField(
        max_length=32, choices=ActionType.choices, verbose_name=_("action type")
    )
    booking_date = models.DateField(verbose_name=_("booking date"))
    amount = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("amount"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    eur_amount = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("eur amount"))
    estimated_grams = models.IntegerField(
        help_text=_("Before the daily cap"), verbose_name=_("estimated grams")
    )
    base_grams = models.IntegerField(
        help_text=_("After the daily cap"), verbose_name=_("base grams")
    )
    campaign_grams = models.IntegerField(default=0, verbose_name=_("campaign grams"))
    grams = models.IntegerField(verbose_name=_("grams"))
    drop = models.ForeignKey(
        "forest.EnergyDrop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("drop"),
    )
    chunk = models.ForeignKey(
        "forest.ScoringChunk",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("chunk"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    reversed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reversed at"))
    # removed | changed | rescored: why the action was reversed, if it was
    reversal_reason = models.CharField(
        max_length=16, blank=True, db_default="", verbose_name=_("reversal reason")
    )
    # What recognised the transaction: mcc, merchant, alias, description, merchant_id or
    # category ("" for actions scored before it was recorded, and for claw-backs).
    matched_on = models.CharField(
        max_length=16, blank=True, db_default="", verbose_name=_("matched on")
    )
    # Set by an operator's re-score; the next chunk reverses this action and scores anew.
    rescore_requested_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("rescore requested at")
    )

    class Meta:
        verbose_name = _("green action")
        verbose_name_plural = _("green actions")
        ordering = ["-booking_date", "-id"]
        constraints = [
            # One live action per transaction; reversed ones stay as history.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=models.Q(reversed_at__isnull=True),
                name="forest_ga_one_live_per_txn",
            )
        ]
        indexes = [
            # Daily caps and refund claw-backs look up a user's actions by type and day.
            models.Index(
                fields=["user", "action_type", "booking_date"], name="forest_ga_user_type_day"
            ),
            # What earlier chunks awarded a user on a booking day, read by every chunk's caps:
            # only the live actions that earned (a tenth of the rows), covering, so the read
            # is an index-only scan however long the users' histories grow.
            models.Index(
                fields=["user", "booking_date"],
                include=["action_type", "base_grams"],
                condition=models.Q(reversed_at__isnull=True, base_grams__gt=0),
                name="forest_ga_user_day_earned",
            ),
            # The partner portal's campaign figures, chart and CSV; small: few rows have one.
            models.Index(
                fields=["campaign", "booking_date"],
                name="forest_ga_campaign_day",
                condition=models.Q(campaign__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} {self.grams} g"
