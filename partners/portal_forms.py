"""Forms of the partner portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.normalise import normalise_merchant
from partners.models import Campaign


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class ListField(forms.CharField):
    """A comma- or line-separated list, shown and edited as text, stored as a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
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
