"""Registering and removing the devices a user receives pushes on."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import PushDevice
from core.locks import lock_user


class DeviceLimitReached(Exception):
    """The user has as many devices as allowed; ``str(exc)`` is safe to show."""


@dataclass(frozen=True)
class Registration:
    device: PushDevice
    created: bool


@transaction.atomic
def push_device_register(
    *,
    user_id: int,
    token: str,
    platform: str,
    token_type: str = PushDevice.TokenType.FCM,
    app_version: str = "",
    locale: str = "",
) -> Registration:
    """Register the app's push token for ``user_id``; idempotent on the token.

    The same token again updates its row; a token registered by another user moves to this
    one (the phone changed hands, or another account logged in on it): one phone, one row,
    one recipient. The user's row lock makes the device limit hold under concurrent
    registrations.
    """
    lock_user(user_id)
    fields = {
        "platform": platform,
        "token_type": token_type,
        "app_version": app_version,
        "locale": locale,
    }
    existing = PushDevice.objects.filter(token=token).first()
    if existing is not None and existing.user_id == user_id:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*fields, "updated_at"])
        return Registration(existing, False)
    limit = settings.CANOPY_PUSH_MAX_DEVICES
    if PushDevice.objects.filter(user_id=user_id).count() >= limit:
        raise DeviceLimitReached(
            _(
                "You have %(n)s devices registered for notifications, the most there can be; "
                "remove one first."
            )
            % {"n": limit}
        )
    if existing is not None:  # another user's: it moves, with a fresh history
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.user_id = user_id
        existing.last_sent_at = None
        existing.save()
        return Registration(existing, False)
    try:
        with transaction.atomic():
            device = PushDevice.objects.create(user_id=user_id, token=token, **fields)
    except IntegrityError:  # registered at the same moment by another account: take it over
        device = PushDevice.objects.get(token=token)
        PushDevice.objects.filter(pk=device.pk).update(user_id=user_id, **fields)
        device.refresh_from_db()
        return Registration(device, False)
    return Registration(device, True)


def push_device_remove(*, user_id: int, device_id: int) -> bool:
    """Remove one of the user's devices (log-out); another user's device is as none."""
    deleted, _rows = PushDevice.objects.filter(pk=device_id, user_id=user_id).delete()
    return bool(deleted)


def push_devices_prune(*, device_ids: list[int]) -> int:
    """Forget tokens FCM reported invalid (app uninstalled, token rotated)."""
    deleted, _rows = PushDevice.objects.filter(pk__in=device_ids).delete()
    return deleted
