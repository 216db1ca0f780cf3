"""What a matcher on a transaction may hold: shared by campaigns here and the game's rules."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext_lazy as _

# Scoring runs every campaign and rule regex over every description of the night, in the
# database: a pattern is bounded in length and shape, and checked by the engine that runs it.
REGEX_MAX_LENGTH = 300  # the column holds 300; the seeded paperless rule needs 205
# PostgreSQL refuses repetition counts above 255 ("invalid repetition count(s)").
REGEX_MAX_REPETITION = 255
_REPETITION = re.compile(r"(?<!\\)\{(\d*)(?:,(\d*))?\}")
# A quantified group that itself holds a quantifier, e.g. ``(a+)+`` or ``(x*y){2,}``.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*(?<!\\)[*+}](?:[^()\\]|\\.)*\)[*+{]")


def validate_regex(value: str) -> None:
    """Accept only what Python *and* the database's regex engine can run, small and linear.

    Python's ``re`` alone let ``refill{1,300}`` through, which PostgreSQL then refused in
    every scoring chunk; the database is asked itself, inside a savepoint so a refusal
    does not poison the caller's transaction."""
    if not value:
        return
    if len(value) > REGEX_MAX_LENGTH:
        raise ValidationError(
            _("A regular expression may hold at most %(max)d characters."),
            params={"max": REGEX_MAX_LENGTH},
        )
    if "(?<" in value or "(?P" in value:
        raise ValidationError(_("Lookbehind and named groups are not supported by the database."))
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(
            _("Invalid regular expression: %(err)s"), params={"err": exc}
        ) from exc
    for low, high in _REPETITION.findall(value):
        if any(n and int(n) > REGEX_MAX_REPETITION for n in (low, high)):
            raise ValidationError(
                _("A repetition count may be at most %(max)d."),
                params={"max": REGEX_MAX_REPETITION},
            )
    if _NESTED_QUANTIFIER.search(value):
        raise ValidationError(
            _("Nested repetition, such as (a+)+, is not allowed: it can take very long to run.")
        )
    _validate_regex_in_database(value)


def regex_database_error(value: str) -> str | None:
    """Why the database's engine refuses ``value``, or None if it compiles it.

    PostgreSQL's engine differs from Python's (e.g. ``(?a)``), so on PostgreSQL the database
    itself compiles the pattern, in a savepoint; SQLite's REGEXP is Python's ``re``."""
    if connection.vendor != "postgresql":
        try:
            re.compile("(?i)" + value)
        except re.error as exc:
            return str(exc)
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~* %s", [value])
    except DatabaseError as exc:
        lines = str(exc).strip().splitlines() or [""]
        return lines[0].removeprefix("invalid regular expression: ")
    return None


def _validate_regex_in_database(value: str) -> None:
    if connection.vendor != "postgresql":
        return
    message = regex_database_error(value)
    if message is not None:
        raise ValidationError(_("Invalid regular expression: %(err)s"), params={"err": message})


def _validate_code_list(value, *, digits: int | None = None) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(_("Enter a list of non-empty strings."))
    if digits and not all(len(v) == digits and v.isdigit() for v in value):
        raise ValidationError(_("Every MCC has exactly four digits."))


def validate_mcc_list(value) -> None:
    _validate_code_list(value, digits=4)


def validate_mcc(value: str) -> None:
    """One merchant category code, as the admin's list fields check each line."""
    if not (len(value) == 4 and value.isdigit()):
        raise ValidationError(
            _("“%(value)s” is not an MCC: an MCC has exactly four digits."),
            params={"value": value},
        )


def validate_string_list(value) -> None:
    _validate_code_list(value)
