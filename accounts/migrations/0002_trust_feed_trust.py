"""Trust levels and consent dates of linked feeds (docs/feeds.md, "Trust levels").

Existing feeds get the trust their provider has (a Plaid feed linked through Canopy's offline
sandbox counts as sandbox) and, as consent date, the day of their first consent (else the day
they were linked).
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models.functions import Cast, Coalesce

PROVIDER_TRUST = {
    "sandbox": "sandbox",
    "plaid": "verified",
    "berlin_group": "self_reported",
    "file": "self_reported",
}


def set_trust_and_consent_date(apps, schema_editor):
    LinkedFeed = apps.get_model("accounts", "LinkedFeed")
    Consent = apps.get_model("accounts", "Consent")
    PlaidItem = apps.get_model("accounts", "PlaidItem")
    LinkedFeed.objects.update(trust="self_reported")
    for provider, trust in PROVIDER_TRUST.items():
        LinkedFeed.objects.filter(provider=provider).update(trust=trust)
    sandbox_plaid = PlaidItem.objects.filter(adapter="sandbox").values("feed_id")
    LinkedFeed.objects.filter(provider="plaid", id__in=sandbox_plaid).update(trust="sandbox")
    first = (
        Consent.objects.filter(feed_id=models.OuterRef("pk"))
        .order_by("granted_at")
        .values("granted_at")[:1]
    )
    # One UPDATE, whatever the number of feeds (dates in the database's time zone, UTC).
    LinkedFeed.objects.update(
        consented_on=Coalesce(
            Cast(models.Subquery(first), models.DateField()),
            Cast("created_at", models.DateField()),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="linkedfeed",
            name="trust",
            field=models.CharField(
                choices=[
                    (
                        "verified",
                        "Verified (an aggregator or bank pull, or a partner's signed channel)",
                    ),
                    ("self_reported", "Self-reported (the user's own file upload)"),
                    ("sandbox", "Sandbox (demo only)"),
                ],
                default="self_reported",
                editable=False,
                max_length=16,
                verbose_name="trust",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="linkedfeed",
            name="consented_on",
            field=models.DateField(
                default=django.utils.timezone.localdate,
                editable=False,
                verbose_name="consented on",
            ),
        ),
        migrations.RunPython(set_trust_and_consent_date, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="linkedfeed",
            constraint=models.CheckConstraint(
                condition=models.Q(("trust__in", ["verified", "self_reported", "sandbox"])),
                name="accounts_feed_trust_valid",
            ),
        ),
    ]
