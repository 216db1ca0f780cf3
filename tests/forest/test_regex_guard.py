"""Regexes are validated by the engine that runs them, and bounded, before they are saved:
one sponsor's ``refill{1,300}`` used to fail every scoring chunk of the night."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from catalogue.models.matchers import validate_regex
from forest.models import GreenActionRule
from forest.services.rules import rule_save

# On PostgreSQL the validator asks the database, so every test may touch it.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("refill{1,300}", "A repetition count may be at most 255."),
        ("a{256}", "A repetition count may be at most 255."),
        ("(a+)+", "Nested repetition"),
        ("(x*y){2,}", "Nested repetition"),
        ("a" * 301, "at most 300 characters"),
        ("eco(refill", "Invalid regular expression"),
    ],
)
def test_unsafe_or_invalid_patterns_are_refused(pattern, message):
    with pytest.raises(ValidationError) as err:
        validate_regex(pattern)
    assert message in " ".join(err.value.messages)


@pytest.mark.parametrize(
    "pattern", ["eco ?refill", "(eco|bio) ?refill", "x{255}", r"a\{300}", "(ab)+", ""]
)
def test_ordinary_patterns_pass(pattern):
    validate_regex(pattern)


def test_a_rule_with_a_too_large_repetition_count_is_not_saved():
    rule = GreenActionRule(
        code="refill", priority=5, name_en="r", name_nl="r", action_type="public_transport",
        estimate_kind="fixed", fixed_grams=10, method="m", source="s", daily_cap_grams=1000,
        match_description_regex="refill{1,300}",
    )  # fmt: skip
    with pytest.raises(ValidationError) as err:
        rule_save(rule=rule)
    assert "match_description_regex" in err.value.message_dict
    assert not GreenActionRule.objects.filter(code="refill").exists()


@pytest.mark.postgres
def test_postgres_refuses_what_python_accepts_and_the_transaction_survives():
    import re

    re.compile("(?a)refill")  # Python's engine is happy with the ASCII flag
    with pytest.raises(ValidationError) as err:
        validate_regex("(?a)refill")
    assert "invalid embedded option" in " ".join(err.value.messages)
    # the refusal ran in a savepoint: the surrounding transaction still works
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
