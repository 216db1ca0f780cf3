from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from rest_framework import serializers

from accounts.models import Profile, User, validate_time_zone


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    locale = serializers.ChoiceField(choices=Profile.Locale.choices, default=Profile.Locale.NL)
    time_zone = serializers.CharField(max_length=64, required=False)

    def validate_email(self, value: str) -> str:
        # Whether the address has an account is not for the caller to learn (the view
        # answers 202 either way and the service tells the address's owner).
        return value.lower()

    def validate_time_zone(self, value: str) -> str:
        try:
            validate_time_zone(value)
        except Exception as exc:
            raise serializers.ValidationError(
                gettext("Unknown time zone: %(tz)s") % {"tz": value}
            ) from exc
        return value

    def validate(self, attrs: dict) -> dict:
        try:
            validate_password(attrs["password"], user=User(email=attrs["email"]))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class MeSerializer(serializers.Serializer):
    """The signed-in user and their profile, flattened for the app."""

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    display_name = serializers.CharField(max_length=80, allow_blank=True, required=False)
    locale = serializers.ChoiceField(choices=Profile.Locale.choices, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    steal_opt_out = serializers.BooleanField(required=False)
    date_joined = serializers.DateTimeField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)

    def validate_time_zone(self, value: str) -> str:
        try:
            validate_time_zone(value)
        except Exception as exc:
            raise serializers.ValidationError(
                gettext("Unknown time zone: %(tz)s") % {"tz": value}
            ) from exc
        return value

    @staticmethod
    def represent(user: User, profile: Profile) -> dict:
        return {
            "id": user.id,
            "email": user.email,
            "display_name": profile.display_name,
            "locale": profile.locale,
            "time_zone": profile.time_zone,
            "steal_opt_out": profile.steal_opt_out,
            "date_joined": user.date_joined,
            "email_verified": user.email_verified_at is not None,
        }


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(write_only=True)
    new_password = serializers.CharField(write_only=True)


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangedSerializer(serializers.Serializer):
    """The answer to a password change: a fresh pair, as every earlier token is revoked."""

    tokens = TokenPairSerializer()


class RegisteredSerializer(serializers.Serializer):
    """The answer to a registration, the same whether or not the address had an account."""

    detail = serializers.CharField()
    code = serializers.CharField()


class EmailVerifyInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)
