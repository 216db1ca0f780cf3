"""Forms of the partner portal."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.normalise import normalise_merchant
from catalogue.models import BrandForest, Campaign, Sponsor
from partners.services.billing import TOPUP_MAX, TOPUP_MIN
from partners.services.branding import LOGO_MAX_BYTES, LogoRejected, sanitise_logo
from partners.services.claims import CODES_PER_BATCH_MAX, GRAMS_PER_CODE_MAX


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class ListField(forms.CharField):
    """A comma- or line-separated list, shown and edited as text, stored as a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:  # type: ignore[override]  # a CharField cleaned to a list
        return _split(super().to_python(value) or "")


class CampaignForm(forms.ModelForm):
    """A sponsor's campaign. ModelForm validation runs ``Campaign.full_clean`` (matchers,
    regex, window, segment, budget), so the portal accepts exactly what the model does."""

    match_merchants = ListField(
        label=_("Merchants"),
        required=False,
        help_text=_("Store names, separated by commas, e.g. Vinted, Marktplaats"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    match_mccs = ListField(
        label=_("Merchant category codes (MCC)"),
        required=False,
        help_text=_("Four digits each, separated by commas, e.g. 5931, 5932"),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "match_merchants",
            "match_mccs",
            "match_description_regex",
            "bonus_grams",
            "multiplier",
            "starts_on",
            "ends_on",
            "segment",
            "segment_city",
            "budget_grams",
            "is_active",
        ]
        labels = {
            "name": _("Name"),
            "match_description_regex": _("Product description pattern (regular expression)"),
            "bonus_grams": _("Bonus grams per purchase"),
            "multiplier": _("Multiplier"),
            "starts_on": _("Starts on"),
            "ends_on": _("Ends on"),
            "segment": _("Segment"),
            "segment_city": _("City (for the city segment)"),
            "budget_grams": _("Budget in grams"),
            "is_active": _("Active"),
        }
        help_texts = {
            "match_description_regex": _("Case-insensitive, e.g. eco ?refill"),
            "bonus_grams": _("Added per matching purchase"),
            "multiplier": _("Applied to the green action's own grams (1 = no change)"),
        }
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean_match_merchants(self) -> list[str]:
        # Scoring matches normalised merchant names ("Albert Heijn B.V." -> "albert heijn").
        names = [normalise_merchant(n) for n in self.cleaned_data["match_merchants"]]
        return list(dict.fromkeys(n for n in names if n))

    def clean_budget_grams(self) -> int:
        budget = self.cleaned_data["budget_grams"]
        if budget is not None and budget < self.instance.spent_grams:
            raise forms.ValidationError(
                _("The budget cannot be below what is already spent (%(spent)s g)."),
                params={"spent": self.instance.spent_grams},
            )
        return budget

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        # Switched on again (the pattern was checked on save): the quarantine is over.
        if cleaned.get("is_active"):
            self.instance.quarantine_reason = ""
        return cleaned


class TopUpForm(forms.Form):
    """A sponsor administrator asks to top up one of the sponsor's forests."""

    forest = forms.ModelChoiceField(label=_("Forest"), queryset=BrandForest.objects.none())
    amount = forms.DecimalField(
        label=_("Amount (EUR, excluding VAT)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Goes into the forest's budget once the invoice is paid."),
    )
    po_reference = forms.CharField(
        label=_("Purchase order reference (optional)"), max_length=64, required=False
    )

    def __init__(self, *args, sponsor: Sponsor, **kwargs):
        super().__init__(*args, **kwargs)

        cast(forms.ModelChoiceField, self.fields["forest"]).queryset = sponsor.forests.exclude(
            status=BrandForest.Status.CLOSED
        ).order_by("name", "id")
        amount = cast(forms.DecimalField, self.fields["amount"])
        amount.min_value, amount.max_value = TOPUP_MIN, TOPUP_MAX  # type: ignore[assignment]  # stubs: int
        amount.validators += [MinValueValidator(TOPUP_MIN), MaxValueValidator(TOPUP_MAX)]
        amount.widget.attrs.update(min=str(TOPUP_MIN), max=str(TOPUP_MAX), step="0.01")


class BrandingForm(forms.Form):
    brand_colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        validators=Sponsor._meta.get_field("brand_colour").validators,
        help_text=_("A colour like #2e7d32: the portal header and buttons."),
        widget=forms.TextInput(attrs={"pattern": "#[0-9a-fA-F]{6}", "placeholder": "#2e7d32"}),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, up to 2 MB and 4000 pixels a side."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:  # refuse before reading it into memory
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."), params={"mb": LOGO_MAX_BYTES // 2**20}
            )
        try:
            return sanitise_logo(upload.read())
        except LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from exc


class ClaimBatchForm(forms.Form):
    """A batch of single-use claim codes for one of the sponsor's campaigns."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("For you, e.g. Receipts December; not shown to users"),
    )
    grams_per_code = forms.IntegerField(
        label=_("Grams per code"), help_text=_("The energy one code gives")
    )
    code_count = forms.IntegerField(label=_("Number of codes"))
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        help_text=_("Including this day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, sponsor: Sponsor, **kwargs):
        super().__init__(*args, **kwargs)

        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = sponsor.campaigns.filter(
            is_active=True
        ).order_by("name", "id")
        for name, maximum in [
            ("grams_per_code", GRAMS_PER_CODE_MAX),
            ("code_count", CODES_PER_BATCH_MAX),
        ]:
            field = cast(forms.IntegerField, self.fields[name])
            field.min_value, field.max_value = 1, maximum
            field.validators += [MinValueValidator(1), MaxValueValidator(maximum)]
            field.widget.attrs.update(min="1", max=str(maximum))

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")  # type: ignore[union-attr]  # stubs: never None
        if start and end and end < start:
            self.add_error("valid_until", _("The last day cannot be before the first."))
        return data
