"""Factories for friendships (accepted, in id order as the model stores pairs)."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Friendship
from tests.accounts.factories import UserFactory


class FriendshipFactory(factory.django.DjangoModelFactory):
    """``FriendshipFactory(users=(a, b))`` befriends a and b in either order."""

    class Meta:
        model = Friendship

    user_low = factory.SubFactory(UserFactory)
    user_high = factory.SubFactory(UserFactory)
    requested_by = factory.SelfAttribute("user_low")
    status = Friendship.Status.ACCEPTED
    accepted_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, users=None, **kwargs):
        if users is not None:
            low, high = sorted(users, key=lambda u: u.pk)
            kwargs.update(user_low=low, user_high=high, requested_by=users[0])
        elif kwargs["user_low"].pk > kwargs["user_high"].pk:
            kwargs["user_low"], kwargs["user_high"] = kwargs["user_high"], kwargs["user_low"]
        return super()._create(model_class, *args, **kwargs)


def befriend(a, b) -> Friendship:
    return FriendshipFactory(users=(a, b))
