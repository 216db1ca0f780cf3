"""API authentication: a JWT's user from the cache instead of a row per request.

simplejwt's ``JWTAuthentication`` loads the user's row on every call to check that the
account is still active and that the token was issued for the current password
(``CHECK_REVOKE_TOKEN``). ``CachedJWTAuthentication`` makes the same two checks on a copy of
the row kept in the shared cache for ``CANOPY_AUTH_USER_CACHE_SECONDS``. The copy is dropped
whenever the user row is saved or deleted (deactivation, a password change, an erasure), at
once and again when the transaction commits, so a deactivated account or a changed password
refuses the next request; the expiry bounds what any write that bypasses ``save()`` could
leave behind. Refresh tokens are unaffected: blacklisting them stays with simplejwt.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User


def _key(user_id) -> str:
    return f"canopy:auth-user:{user_id}"


def auth_user_forget(user_id: int) -> None:
    """Drop the cached copy now and once more when the current transaction commits (a request
    that read the row before the commit cannot leave the old copy behind)."""
    cache.delete(_key(user_id))
    transaction.on_commit(lambda: cache.delete(_key(user_id)))


def _user_changed(sender, instance, **kwargs) -> None:
    auth_user_forget(instance.pk)


post_save.connect(_user_changed, sender=User, dispatch_uid="accounts.auth_user_saved")
post_delete.connect(_user_changed, sender=User, dispatch_uid="accounts.auth_user_deleted")


# Access tokens this process has verified (signature, type, claims), by their raw bytes: a
# token's signature never changes, so it is checked once per process and its expiry on every
# use. Access tokens have no blacklist (only refresh tokens do); the user-level checks
# (active, password) still run on every request. Bounded: cleared when full.
_VERIFIED: dict[bytes, tuple[object, float]] = {}
_VERIFIED_MAX = 20_000


class CachedJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        known = _VERIFIED.get(raw_token)
        if known is not None and time.time() < known[1]:
            return known[0]
        token = super().get_validated_token(raw_token)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[raw_token] = (token, float(token.get("exp", 0)))
        return token

    def prefetch(self, request) -> tuple[object, str, int] | None:
        """For a reader that fetches the user's copy in its own round trip (core/readviews.py):
        the validated token, the copy's cache key and the user id; None when the request
        carries no valid JWT (the full path then answers, with its error)."""
        header = self.get_header(request)
        if header is None:
            return None
        try:
            raw = self.get_raw_token(header)
            if raw is None:
                return None
            token = self.get_validated_token(raw)
            user_id = token[api_settings.USER_ID_CLAIM]
        except (InvalidToken, AuthenticationFailed, KeyError):
            return None
        return token, _key(user_id), user_id

    def user_from_copy(self, validated_token, copy) -> User | None:
        """The cached copy if it still admits this token (active, same password); None for
        no copy or a refusal (the full path then loads the row or answers 401)."""
        if not isinstance(copy, User):
            return None
        try:
            return self._checked(copy, validated_token)
        except AuthenticationFailed:
            return None

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = cache.get(_key(user_id))
        if user is None:
            user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
            if user is None:
                raise AuthenticationFailed(_("User not found"), code="user_not_found")
            cache.set(_key(user_id), user, settings.CANOPY_AUTH_USER_CACHE_SECONDS)
        return self._checked(user, validated_token)

    def _checked(self, user: User, validated_token) -> User:
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class CachedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme stays simplejwt's ``jwtAuth``: the tokens are the same."""

    target_class = "accounts.authentication.CachedJWTAuthentication"
