"""Admin forms: a campaign's matchers as lists, one value per line, instead of raw JSON."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.models import Campaign, validate_mcc
from core.forms import LineListField, ModelLabelsMixin

ONE_PER_LINE = _("One per line.")


class CampaignForm(ModelLabelsMixin, forms.ModelForm):
    match_mccs = LineListField(
        item_validator=validate_mcc,
        help_text=_("Merchant category codes of four digits, one per line."),
    )
    match_merchants = LineListField(max_length=200, help_text=ONE_PER_LINE)

    class Meta:
        model = Campaign
        # The admin passes every field it shows; these are the ones this form shapes.
        fields = ["match_mccs", "match_merchants", "match_description_regex"]
