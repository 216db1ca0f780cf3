from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Consent, PlaidItem, Profile, User
from accounts.normalise import normalise_merchant, transaction_names

DEFAULT_PASSWORD = "groene-trein-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.nl")
    # Most tests act as an established user; UserFactory(email_verified_at=None) for a new one.
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)
    profile = factory.RelatedFactory(
        "tests.accounts.factories.ProfileFactory", factory_related_name="user"
    )

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory, profile=None)
    display_name = factory.Faker("first_name")
    locale = "nl"
    time_zone = "Europe/Amsterdam"
    # Real profiles default to quiet hours 22:00-08:00; test users have none, so a test's
    # e-mails do not depend on the wall clock. Quiet-hour tests switch them on.
    quiet_hours_enabled = False


class LinkedFeedFactory(factory.django.DjangoModelFactory):
    """A feed with a live 180-day consent.

    ``LinkedFeedFactory(consent=False)``: no consent; ``consent__expires_at=…``: customise it.
    Its trust follows from the provider, as the model sets it (sandbox: earns where the test
    settings enable the sandbox; plaid: verified); the user consented to it long ago
    (``consented_on``), so the tests' transactions are inside its consent window unless a test
    says otherwise.
    """

    class Meta:
        model = "accounts.LinkedFeed"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    provider = "sandbox"
    account_ref = factory.Sequence(lambda n: f"acc-{n}")
    display_name = "Betaalrekening"
    status = "active"
    consented_on = date(2020, 1, 1)

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ConsentFactory(feed=obj, user=obj.user, **kwargs)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    feed = factory.SubFactory(LinkedFeedFactory, consent=False)
    user = factory.SelfAttribute("feed.user")
    scopes = factory.LazyFunction(lambda: ["transactions"])
    purpose = "Canopy reads the transactions of this account to recognise your green choices."
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.granted_at + timedelta(days=180))


class TransactionFactory(factory.django.DjangoModelFactory):
    """A booked card payment; pass merchant_name and the rest as the test needs."""

    class Meta:
        model = "accounts.Transaction"
        skip_postgeneration_save = True

    feed = factory.SubFactory(LinkedFeedFactory)
    user = factory.SelfAttribute("feed.user")
    provider = factory.SelfAttribute("feed.provider")
    provider_txn_id = factory.Sequence(lambda n: f"txn-{n}")
    status = "booked"
    amount = Decimal("-3.20")
    currency = "EUR"
    booking_date = date(2026, 11, 20)
    transaction_date = factory.SelfAttribute("booking_date")
    merchant_name = "GVB"
    merchant_norm = factory.LazyAttribute(lambda o: normalise_merchant(o.merchant_name))
    description = factory.LazyAttribute(lambda o: o.merchant_name)
    # As the importer stores it: what the description names, where the merchant names no shop.
    descriptor_norm = factory.LazyAttribute(
        lambda o: transaction_names(o.merchant_name, o.description)[1]
    )

    @factory.post_generation
    def queued(obj, create, extracted, **kwargs):
        """Booked transactions wait for scoring, as the importer leaves them (queued=False: not)."""
        if create and extracted is not False and obj.status == "booked":
            from accounts.models import ChangedTransaction as ScoringQueue

            ScoringQueue.objects.get_or_create(transaction=obj, defaults={"user_id": obj.user_id})


class PlaidItemFactory(factory.django.DjangoModelFactory):
    """A feed's Plaid item with its tokens encrypted, as Plaid Link leaves it.

    ``PlaidItemFactory(access_token="access-sandbox-…", item_id="…")`` sets the plaintexts.
    """

    class Meta:
        model = PlaidItem

    feed = factory.SubFactory(LinkedFeedFactory, provider="plaid")
    adapter = "sandbox"
    public_token_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    access_token = factory.Sequence(lambda n: f"access-sandbox-{n:08d}-0000-4000-8000-000000000000")
    item_id = factory.Sequence(lambda n: f"item-sandbox-{n:024d}")

    @classmethod
    def _create(cls, model_class, *args, access_token="", item_id="", **kwargs):
        item = model_class(*args, **kwargs)
        item.set_secrets(access_token=access_token, item_id=item_id)
        item.save()
        return item
