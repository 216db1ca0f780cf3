"""The rule admin's form: each matcher a field of its own instead of a raw JSON text area.

The fields read and write the same JSON lists the model stores (one value per line), so
scoring sees exactly what it saw before; each line is checked as the model checks the list,
with a message naming the line that is wrong.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.models import validate_mcc
from core.forms import LineListField, ModelLabelsMixin
from forest.models import GreenActionRule
from forest.models.rules import validate_name_list


def _validate_name(value: str) -> None:
    validate_name_list([value])


class GreenActionRuleForm(ModelLabelsMixin, forms.ModelForm):
    match_mccs = LineListField(
        item_validator=validate_mcc,
        help_text=_("Merchant category codes of four digits, one per line."),
    )
    match_merchants = LineListField(
        max_length=200,
        help_text=_(
            "One per line; stored normalised (lower case, no punctuation or legal suffix). "
            "A name matches the first whole words of a transaction's merchant name."
        ),
    )
    match_aliases = LineListField(
        item_validator=_validate_name,
        max_length=200,
        help_text=_(
            'Other names banks write for these merchants ("NS GROEP"), one per line, '
            "at most three words each."
        ),
    )
    exclude_names = LineListField(
        item_validator=_validate_name,
        max_length=200,
        help_text=_(
            'Names that start like a merchant above but are another business ("DB Schenker"), '
            "one per line; the longest matching name wins."
        ),
    )
    match_merchant_ids = LineListField(max_length=128, help_text=_("One per line."))
    match_categories = LineListField(
        max_length=200,
        help_text=_("The bank's or aggregator's category names, one per line."),
    )

    class Meta:
        model = GreenActionRule
        # The admin passes every field it shows; these are the ones this form shapes.
        fields = [
            "match_mccs", "match_merchants", "match_aliases", "exclude_names",
            "match_merchant_ids", "match_categories", "match_description_regex",
        ]  # fmt: skip
