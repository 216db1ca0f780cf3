"""Sponsor brands and the people who act for them in the partner portal."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel


class SponsorQuerySet(models.QuerySet["Sponsor"]):
    def for_member(self, user) -> SponsorQuerySet:
        return self.filter(memberships__user=user)


class Sponsor(TimeStampedModel):
    """A brand that funds forests and runs campaigns."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    # Rendered into the portal's <style>: only a #rrggbb value may get there.
    brand_colour = models.CharField(
        max_length=7,
        default="#2e7d32",
        help_text="#rrggbb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", message=_("Use a colour like #2e7d32."))],
    )
    logo = models.ImageField(upload_to="sponsors/logos/", blank=True)
    is_active = models.BooleanField(default=True)

    objects = SponsorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SponsorMembership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        ANALYST = "analyst", _("Analyst (read-only)")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sponsor_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        ordering = ["sponsor", "user"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "user"], name="partners_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"


class Campaign(TimeStampedModel):
    """A sponsor's bonus energy for its green products or stores, in a window, within a budget.

    ``spent_grams`` is raised only by scoring, under a row lock, by at most what is left, so the
    budget is never exceeded; it always equals the sum of the campaign's share of green actions.
    """

    class Segment(models.TextChoices):
        ALL = "all", _("Everyone")
        NEW_USERS = "new_users", _("New users (joined in the last 30 days)")
        CITY = "city", _("Users in a city")
        DORMANT = "dormant", _("Users who have not earned in 30 days")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=120)
    match_merchants = models.JSONField(default=list, blank=True)
    match_mccs = models.JSONField(default=list, blank=True)
    match_description_regex = models.CharField(max_length=300, blank=True)
    bonus_grams = models.PositiveIntegerField(default=0, help_text=_("Added per matching purchase"))
    multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Applied to the green action's own grams (1 = no change)"),
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.ALL)
    segment_city = models.CharField(max_length=80, blank=True)
    budget_grams = models.PositiveBigIntegerField()
    spent_grams = models.PositiveBigIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                name="partners_campaign_within_budget",
                condition=models.Q(spent_grams__lte=models.F("budget_grams")),
            ),
            models.CheckConstraint(
                name="partners_campaign_window",
                condition=models.Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="partners_campaign_multiplier", condition=models.Q(multiplier__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from forest.models.rules import _validate_regex, validate_mcc_list, validate_string_list

        validate_string_list(self.match_merchants)
        validate_mcc_list(self.match_mccs)
        _validate_regex(self.match_description_regex)
        if not (self.match_merchants or self.match_mccs or self.match_description_regex):
            raise ValidationError(_("A campaign needs at least one matcher."))
        if self.segment == self.Segment.CITY and not self.segment_city:
            raise ValidationError({"segment_city": _("Name the city.")})
        if self.bonus_grams == 0 and self.multiplier == 1:
            raise ValidationError(_("Give a bonus or a multiplier above 1."))

    @property
    def remaining_grams(self) -> int:
        return self.budget_grams - self.spent_grams


# --------------------------------------------------------------------------------------------
# Forests, their budgets, and planting
# --------------------------------------------------------------------------------------------


class PlantingPartner(TimeStampedModel):
    """Who puts trees in the ground. ``sandbox`` answers locally; ``http`` calls an API."""

    class Kind(models.TextChoices):
        SANDBOX = "sandbox", _("Sandbox (no real trees)")
        HTTP = "http", _("HTTP API (Ecologi-style)")

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SANDBOX)
    api_base_url = models.URLField(blank=True)
    api_key_env = models.CharField(
        max_length=80,
        blank=True,
        help_text=_("Name of the environment variable holding the API key (never the key)"),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == self.Kind.HTTP and not self.api_base_url:
            raise ValidationError({"api_base_url": _("An HTTP partner needs an API base URL.")})


class PartnerApiKey(TimeStampedModel):
    """A planting partner's key to /api/v1/partner/. Only a SHA-256 of the secret is stored.

    The full key (``cnp_<prefix>_<secret>``) is shown once, when an operator creates it in the
    admin. The prefix finds the row; the secret is compared in constant time. A key is random
    (256 bits), so a fast hash is enough: there is nothing to brute-force as with passwords.
    """

    partner = models.ForeignKey(PlantingPartner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80, help_text=_("Who or what uses this key"))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner", "-created_at"]
        verbose_name = "partner API key"

    def __str__(self) -> str:
        return f"{self.partner} · {self.name} (cnp_{self.prefix}_…)"


class BrandForest(TimeStampedModel):
    """A sponsor's forest: where users' matured trees are planted, paid from its budget.

    The budget is the ForestBudgetEntry ledger: what is available is the sum of its entries.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULL = "full", _("Full")
        CLOSED = "closed", _("Closed")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="forests")
    name = models.CharField(max_length=120)
    story = models.TextField(blank=True)
    area = models.JSONField(help_text=_("GeoJSON Polygon or MultiPolygon (lon, lat)"))
    planting_partner = models.ForeignKey(
        PlantingPartner, on_delete=models.PROTECT, related_name="forests"
    )
    species = models.ManyToManyField("forest.Species", related_name="forests", blank=True)
    price_per_tree = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    capacity = models.PositiveIntegerField(help_text=_("Trees this forest can take in all"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="partners_forest_price_positive", condition=models.Q(price_per_tree__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from partners.geo import validate_geojson_area

        try:
            validate_geojson_area(self.area)
        except ValueError as exc:
            raise ValidationError({"area": str(exc)}) from exc


class ForestBudgetEntry(models.Model):
    """One movement of a forest's money. Append-only; the available budget is their sum.

    topup (+): the sponsor pays in. reserve (-): held for one matured tree's order.
    release (+): a reservation given back (order cancelled, or converted into a spend).
    spend (-): the partner accepted the order and the money is gone.
    """

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        RESERVE = "reserve", _("Reserved for a tree")
        RELEASE = "release", _("Reservation released")
        SPEND = "spend", _("Spent on a tree")

    forest = models.ForeignKey(BrandForest, on_delete=models.PROTECT, related_name="budget_entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    idempotency_key = models.CharField(max_length=160, unique=True)
    order = models.ForeignKey(
        "partners.PlantingOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_entries",
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "forest budget entries"
        constraints = [
            models.CheckConstraint(
                name="partners_budget_sign_by_kind",
                condition=(
                    models.Q(kind__in=["topup", "release"], amount__gt=0)
                    | models.Q(kind__in=["reserve", "spend"], amount__lt=0)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.forest_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Budget entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Budget entries are append-only.")


class PlantingOrder(TimeStampedModel):
    """A matured tree's order to its forest's planting partner.

    Created together with the budget reservation that pays for it, in one transaction.
    ``idempotency_key`` goes to the partner with every attempt, so a retry never buys twice.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        FUNDED = "funded", _("Funded (accepted by the partner)")
        PLANTED = "planted", _("Planted")
        VERIFIED = "verified", _("Verified")
        SURVIVAL_CHECKED = "survival_checked", _("Survival checked")
        CANCELLED = "cancelled", _("Cancelled")

    tree = models.ForeignKey("forest.Tree", on_delete=models.PROTECT, related_name="orders")
    forest = models.ForeignKey(BrandForest, on_delete=models.PROTECT, related_name="orders")
    partner = models.ForeignKey(PlantingPartner, on_delete=models.PROTECT, related_name="orders")
    state = models.CharField(max_length=20, choices=State.choices, default=State.REQUESTED)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_reference = models.CharField(max_length=200, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    hold_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Why a requested order is not sent yet (e.g. out of planting season)"),
    )
    planted_at = models.DateTimeField(null=True, blank=True)
    planted_latitude = models.FloatField(null=True, blank=True)
    planted_longitude = models.FloatField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tree"],
                condition=~models.Q(state="cancelled"),
                name="partners_order_one_active_per_tree",
            )
        ]
        indexes = [
            # planting_orders_submit: a partner's requested orders, oldest first.
            models.Index(
                fields=["partner", "id"],
                name="partners_order_requested",
                condition=models.Q(state="requested"),
            )
        ]

    def __str__(self) -> str:
        return f"order {self.pk}: tree {self.tree_id} {self.state}"


class PlantingOrderEvent(models.Model):
    """The history of an order: every state change and every failed submission."""

    order = models.ForeignKey(PlantingOrder, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state or '-'} → {self.to_state}"


class PlantingEvidence(TimeStampedModel):
    """A sanitised photo proving an order was planted: taken inside the forest, not reused.

    Only accepted evidence is stored (partners.evidence.planting_evidence_add checks GPS against
    the forest's area and the perceptual hash against the partner's earlier photos).
    """

    order = models.ForeignKey(PlantingOrder, on_delete=models.PROTECT, related_name="evidence")
    photo = models.FileField(upload_to="evidence/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    dhash = models.CharField(max_length=16, help_text=_("Perceptual hash (64-bit dHash, hex)"))
    sha256 = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "planting evidence"

    def __str__(self) -> str:
        return f"evidence {self.pk} for order {self.order_id}"


class SurvivalCheck(TimeStampedModel):
    """A yearly check (years 1 to 5 after planting) of whether an order's tree is alive."""

    order = models.ForeignKey(
        PlantingOrder, on_delete=models.PROTECT, related_name="survival_checks"
    )
    year = models.PositiveSmallIntegerField()
    checked_on = models.DateField()
    alive = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["order", "year"]
        constraints = [
            models.UniqueConstraint(fields=["order", "year"], name="partners_survival_once_a_year"),
            models.CheckConstraint(
                name="partners_survival_year_1_5", condition=models.Q(year__gte=1, year__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} year {self.year}: {'alive' if self.alive else 'dead'}"


# --------------------------------------------------------------------------------------------
# Invoices: how a sponsor pays in (partners/billing.py)
# --------------------------------------------------------------------------------------------


class InvoiceNumberSequence(models.Model):
    """The last invoice number issued per year. Its row is locked while a number is taken,
    so numbers are gapless and in order within a year (a rolled-back request gives its
    number back), as Dutch and EU invoicing rules ask."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Invoice(TimeStampedModel):
    """A sponsor's request to top up one forest's budget, and the bill for it.

    ``amount`` (net) is what the forest's budget gets once an operator marks the invoice
    paid; VAT is added on top at ``vat_rate`` percent and goes to the tax office, not into
    the budget. Paying writes exactly one ForestBudgetEntry (idempotency key
    ``topup:invoice:<pk>``), linked in ``budget_entry``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="invoices")
    forest = models.ForeignKey(BrandForest, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True, editable=False)
    payment_reference = models.CharField(
        max_length=25,
        unique=True,
        editable=False,
        help_text=_("ISO 11649 creditor reference the sponsor quotes with the transfer"),
    )
    po_reference = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    budget_entry = models.OneToOneField(
        ForestBudgetEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="partners_invoice_amount_positive", condition=models.Q(amount__gt=0)
            ),
            models.CheckConstraint(
                name="partners_invoice_paid_has_entry",
                condition=~models.Q(status="paid")
                | models.Q(paid_at__isnull=False, budget_entry__isnull=False),
            ),
        ]
        indexes = [
            # invoice list in the portal: one sponsor's invoices, newest first.
            models.Index(fields=["sponsor", "-created_at"], name="partners_invoice_sponsor"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.sponsor})"
