"""What a matcher on a transaction may hold: shared by campaigns here and the game's rules."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_regex(value: str) -> None:
    if not value:
        return
    if "(?<" in value or "(?P" in value:
        raise ValidationError(_("Lookbehind and named groups are not supported by the database."))
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(
            _("Invalid regular expression: %(err)s"), params={"err": exc}
        ) from exc


def _validate_code_list(value, *, digits: int | None = None) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(_("Enter a list of non-empty strings."))
    if digits and not all(len(v) == digits and v.isdigit() for v in value):
        raise ValidationError(_("Every MCC has exactly four digits."))


def validate_mcc_list(value) -> None:
    _validate_code_list(value, digits=4)


def validate_string_list(value) -> None:
    _validate_code_list(value)
