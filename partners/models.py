"""Sponsor brands and the people who act for them in the partner portal."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel


class SponsorQuerySet(models.QuerySet["Sponsor"]):
    def for_member(self, user) -> SponsorQuerySet:
        return self.filter(memberships__user=user)


class Sponsor(TimeStampedModel):
    """A brand that funds forests and runs campaigns."""

    name = models.CharField(max_length=120, verbose_name=_("name"))
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    website = models.URLField(blank=True, verbose_name=_("website"))
    # Rendered into the portal's <style>: only a #rrggbb value may get there.
    brand_colour = models.CharField(
        max_length=7,
        default="#2e7d32",
        help_text=_("#rrggbb"),
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", message=_("Use a colour like #2e7d32."))],
        verbose_name=_("brand colour"),
    )
    logo = models.ImageField(upload_to="sponsors/logos/", blank=True, verbose_name=_("logo"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    objects = SponsorQuerySet.as_manager()

    class Meta:
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SponsorMembership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        ANALYST = "analyst", _("Analyst (read-only)")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("sponsor")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sponsor_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        max_length=16, choices=Role.choices, default=Role.ADMIN, verbose_name=_("role")
    )

    class Meta:
        verbose_name = _("sponsor membership")
        verbose_name_plural = _("sponsor memberships")
        ordering = ["sponsor", "user"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "user"], name="partners_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"


class Campaign(TimeStampedModel):
    """A sponsor's bonus energy for its green products or stores, in a window, within a budget.

    ``spent_grams`` is raised only under the campaign's row lock, by at most what is left, so the
    budget is never exceeded: by scoring (the campaign's share of green actions) and by claim code
    batches, which reserve all their codes' grams when created (ClaimCodeBatch.reserved_grams).
    """

    class Segment(models.TextChoices):
        ALL = "all", _("Everyone")
        NEW_USERS = "new_users", _("New users (joined in the last 30 days)")
        CITY = "city", _("Users in a city")
        DORMANT = "dormant", _("Users who have not earned in 30 days")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("sponsor")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    match_merchants = models.JSONField(default=list, blank=True, verbose_name=_("match merchants"))
    match_mccs = models.JSONField(default=list, blank=True, verbose_name=_("match mccs"))
    match_description_regex = models.CharField(
        max_length=300, blank=True, verbose_name=_("match description regex")
    )
    bonus_grams = models.PositiveIntegerField(
        default=0, help_text=_("Added per matching purchase"), verbose_name=_("bonus grams")
    )
    multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Applied to the green action's own grams (1 = no change)"),
        verbose_name=_("multiplier"),
    )
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"))
    segment = models.CharField(
        max_length=16, choices=Segment.choices, default=Segment.ALL, verbose_name=_("segment")
    )
    segment_city = models.CharField(max_length=80, blank=True, verbose_name=_("segment city"))
    budget_grams = models.PositiveBigIntegerField(verbose_name=_("budget grams"))
    spent_grams = models.PositiveBigIntegerField(
        default=0, editable=False, verbose_name=_("spent grams")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
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

    name = models.CharField(max_length=120, verbose_name=_("name"))
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.SANDBOX, verbose_name=_("kind")
    )
    api_base_url = models.URLField(blank=True, verbose_name=_("api base url"))
    api_key_env = models.CharField(
        max_length=80,
        blank=True,
        help_text=_("Name of the environment variable holding the API key (never the key)"),
        verbose_name=_("api key env"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("planting partner")
        verbose_name_plural = _("planting partners")
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

    partner = models.ForeignKey(
        PlantingPartner,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("partner"),
    )
    name = models.CharField(
        max_length=80, help_text=_("Who or what uses this key"), verbose_name=_("name")
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False, verbose_name=_("prefix"))
    secret_hash = models.CharField(max_length=64, editable=False, verbose_name=_("secret hash"))
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name_plural = _("partner API keys")
        ordering = ["partner", "-created_at"]
        verbose_name = _("partner API key")

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

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="forests", verbose_name=_("sponsor")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    story = models.TextField(blank=True, verbose_name=_("story"))
    area = models.JSONField(
        help_text=_("GeoJSON Polygon or MultiPolygon (lon, lat)"), verbose_name=_("area")
    )
    planting_partner = models.ForeignKey(
        PlantingPartner,
        on_delete=models.PROTECT,
        related_name="forests",
        verbose_name=_("planting partner"),
    )
    species = models.ManyToManyField(
        "forest.Species", related_name="forests", blank=True, verbose_name=_("species")
    )
    price_per_tree = models.DecimalField(
        max_digits=8, decimal_places=2, verbose_name=_("price per tree")
    )
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    capacity = models.PositiveIntegerField(
        help_text=_("Trees this forest can take in all"), verbose_name=_("capacity")
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )

    class Meta:
        verbose_name = _("brand forest")
        verbose_name_plural = _("brand forests")
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

    forest = models.ForeignKey(
        BrandForest,
        on_delete=models.PROTECT,
        related_name="budget_entries",
        verbose_name=_("forest"),
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    idempotency_key = models.CharField(
        max_length=160, unique=True, verbose_name=_("idempotency key")
    )
    order = models.ForeignKey(
        "partners.PlantingOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_entries",
        verbose_name=_("order"),
    )
    memo = models.CharField(max_length=200, blank=True, verbose_name=_("memo"))
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("forest budget entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("forest budget entries")
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

    tree = models.ForeignKey(
        "forest.Tree", on_delete=models.PROTECT, related_name="orders", verbose_name=_("tree")
    )
    forest = models.ForeignKey(
        BrandForest, on_delete=models.PROTECT, related_name="orders", verbose_name=_("forest")
    )
    partner = models.ForeignKey(
        PlantingPartner, on_delete=models.PROTECT, related_name="orders", verbose_name=_("partner")
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.REQUESTED, verbose_name=_("state")
    )
    price = models.DecimalField(max_digits=8, decimal_places=2, verbose_name=_("price"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    idempotency_key = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("idempotency key")
    )
    provider_reference = models.CharField(
        max_length=200, blank=True, verbose_name=_("provider reference")
    )
    submit_attempts = models.PositiveIntegerField(default=0, verbose_name=_("submit attempts"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    hold_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Why a requested order is not sent yet (e.g. out of planting season)"),
        verbose_name=_("hold reason"),
    )
    planted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("planted at"))
    planted_latitude = models.FloatField(null=True, blank=True, verbose_name=_("planted latitude"))
    planted_longitude = models.FloatField(
        null=True, blank=True, verbose_name=_("planted longitude")
    )
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))

    class Meta:
        verbose_name = _("planting order")
        verbose_name_plural = _("planting orders")
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

    order = models.ForeignKey(
        PlantingOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    from_state = models.CharField(max_length=20, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=20, verbose_name=_("to state"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("planting order event")
        verbose_name_plural = _("planting order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state or '-'} → {self.to_state}"


class PlantingEvidence(TimeStampedModel):
    """A sanitised photo proving an order was planted: taken inside the forest, not reused.

    Only accepted evidence is stored (partners.evidence.planting_evidence_add checks GPS against
    the forest's area and the perceptual hash against the partner's earlier photos).
    """

    order = models.ForeignKey(
        PlantingOrder, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("order")
    )
    photo = models.FileField(upload_to="evidence/%Y/%m/", verbose_name=_("photo"))
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    taken_at = models.DateTimeField(null=True, blank=True, verbose_name=_("taken at"))
    latitude = models.FloatField(verbose_name=_("latitude"))
    longitude = models.FloatField(verbose_name=_("longitude"))
    dhash = models.CharField(
        max_length=16, help_text=_("Perceptual hash (64-bit dHash, hex)"), verbose_name=_("dhash")
    )
    sha256 = models.CharField(max_length=64, unique=True, verbose_name=_("sha256"))

    class Meta:
        verbose_name = _("planting evidence")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("planting evidence")

    def __str__(self) -> str:
        return f"evidence {self.pk} for order {self.order_id}"


class SurvivalCheck(TimeStampedModel):
    """A yearly check (years 1 to 5 after planting) of whether an order's tree is alive."""

    order = models.ForeignKey(
        PlantingOrder,
        on_delete=models.PROTECT,
        related_name="survival_checks",
        verbose_name=_("order"),
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    checked_on = models.DateField(verbose_name=_("checked on"))
    alive = models.BooleanField(verbose_name=_("alive"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))

    class Meta:
        verbose_name = _("survival check")
        verbose_name_plural = _("survival checks")
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

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("year"))
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

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

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("sponsor")
    )
    forest = models.ForeignKey(
        BrandForest, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("forest")
    )
    number = models.CharField(max_length=20, unique=True, editable=False, verbose_name=_("number"))
    payment_reference = models.CharField(
        max_length=25,
        unique=True,
        editable=False,
        help_text=_("ISO 11649 creditor reference the sponsor quotes with the transfer"),
        verbose_name=_("payment reference"),
    )
    po_reference = models.CharField(max_length=64, blank=True, verbose_name=_("po reference"))
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, verbose_name=_("vat rate"))
    vat_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("vat amount"))
    total = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("total"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    budget_entry = models.OneToOneField(
        ForestBudgetEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
        editable=False,
        verbose_name=_("budget entry"),
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
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


# --------------------------------------------------------------------------------------------
# Claim codes: single-use codes on receipts or in links that give energy (partners/claims.py)
# --------------------------------------------------------------------------------------------


class ClaimCodeBatch(TimeStampedModel):
    """A sponsor's batch of single-use claim codes, paid from one campaign's budget.

    Creating it adds ``grams_per_code * code_count`` to the campaign's ``spent_grams`` under the
    campaign's row lock (``reserved_grams``), so redemptions never need the budget again and
    can never overspend it. The codes are derived from ``code_seed`` (encrypted, see
    accounts.crypto), which is erased when the codes are downloaded, the one time they are
    shown; the database keeps only keyed hashes of them (ClaimCode.code_hash). Once the codes
    have expired, the grams of the unredeemed ones can be given back to the budget, once
    (``released_at``, ``released_grams``).
    """

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="claim_batches", verbose_name=_("sponsor")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="claim_batches",
        verbose_name=_("campaign"),
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    grams_per_code = models.PositiveIntegerField(verbose_name=_("grams per code"))
    code_count = models.PositiveIntegerField(verbose_name=_("number of codes"))
    reserved_grams = models.PositiveBigIntegerField(
        editable=False, verbose_name=_("reserved grams")
    )
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    valid_until = models.DateTimeField(verbose_name=_("valid until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    code_seed = models.TextField(blank=True, editable=False, verbose_name=_("code seed"))
    downloaded_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("downloaded at")
    )
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("downloaded by"),
    )
    released_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("released at")
    )
    released_grams = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text=_("Grams of unredeemed codes given back to the campaign's budget after expiry"),
        verbose_name=_("released grams"),
    )

    class Meta:
        verbose_name = _("claim code batch")
        verbose_name_plural = _("claim code batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="partners_claimbatch_window",
                condition=models.Q(valid_until__gt=models.F("valid_from")),
            ),
            models.CheckConstraint(
                name="partners_claimbatch_positive",
                condition=models.Q(grams_per_code__gt=0, code_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    @property
    def last_valid_day(self):
        """The last day the codes work (``valid_until`` is the exclusive end)."""
        return timezone.localtime(self.valid_until - timedelta(microseconds=1)).date()


class ClaimCode(models.Model):
    """One single-use code. Only its keyed hash is stored, with a short prefix for support.

    ``redeemed_at`` goes from NULL to a time by one conditional UPDATE, so a code gives energy
    once however many requests race for it.
    """

    batch = models.ForeignKey(
        ClaimCodeBatch,
        on_delete=models.PROTECT,
        related_name="codes",
        db_index=False,  # (batch, redeemed_at) below covers it
        verbose_name=_("batch"),
    )
    code_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("code hash")
    )
    prefix = models.CharField(
        max_length=4,
        editable=False,
        help_text=_("The first four characters after CNPY-, for support"),
        verbose_name=_("prefix"),
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial (redeemed_by, redeemed_at) index below covers it
        verbose_name=_("redeemed by"),
    )
    redeemed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("redeemed at"))
    drop = models.ForeignKey(
        "forest.EnergyDrop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("drop"),
    )

    class Meta:
        verbose_name = _("claim code")
        verbose_name_plural = _("claim codes")
        ordering = ["batch", "id"]
        indexes = [
            # Redemptions per batch and per day in the portal.
            models.Index(fields=["batch", "redeemed_at"], name="partners_claimcode_batch"),
            # The per-user daily cap: a user's redemptions today.
            models.Index(
                fields=["redeemed_by", "redeemed_at"],
                name="partners_claimcode_user_day",
                condition=models.Q(redeemed_by__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="partners_claimcode_redeemed_together",
                condition=models.Q(redeemed_at__isnull=True, redeemed_by__isnull=True)
                | models.Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"CNPY-{self.prefix}-… ({self.batch_id})"
