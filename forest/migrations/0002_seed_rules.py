"""Seed the starting catalogue of green-action rules (PRODUCT.md section 3) and exchange rates."""

from decimal import Decimal

from django.db import migrations

DECIMAL_FIELDS = {"grams_per_unit", "fare_per_km", "grams_per_km", "substitution_share"}
MATCHER_FIELDS = {
    "mcc": "match_mccs",
    "merchant": "match_merchants",
    "merchant_id": "match_merchant_ids",
    "category": "match_categories",
}


def load(apps, schema_editor):
    from forest.rule_catalogue import CATALOGUE, FX_TO_EUR

    Rule = apps.get_model("forest", "GreenActionRule")
    Version = apps.get_model("forest", "GreenActionRuleVersion")
    Matcher = apps.get_model("forest", "RuleMatcher")
    Rate = apps.get_model("forest", "CurrencyRate")
    known = {field.name for field in Rule._meta.get_fields()}
    for entry in CATALOGUE:
        # Keys added to the catalogue later (aliases, exclusions) are loaded by their own
        # migrations, on the model that has them.
        fields = {
            k: (Decimal(v) if k in DECIMAL_FIELDS else v) for k, v in entry.items() if k in known
        }
        fields.pop("version", None)
        rule, created = Rule.objects.get_or_create(code=fields.pop("code"), defaults=fields)
        if not created:
            continue
        Version.objects.create(rule=rule, version=1, snapshot=entry)
        for kind, field in MATCHER_FIELDS.items():
            for value in dict.fromkeys(entry[field]):
                Matcher.objects.create(rule=rule, kind=kind, value=value)
    for currency, eur in FX_TO_EUR.items():
        Rate.objects.get_or_create(
            currency=currency,
            defaults={"eur_per_unit": Decimal(eur), "source": "ECB reference rates, 2024 average"},
        )


class Migration(migrations.Migration):
    dependencies = [("forest", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
