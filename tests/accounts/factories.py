from __future__ import annotations

import factory

from accounts.models import Profile, User

DEFAULT_PASSWORD = "groene-trein-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.nl")
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
