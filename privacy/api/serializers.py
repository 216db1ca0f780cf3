"""The password that confirms an account's deletion."""

from __future__ import annotations

from rest_framework import serializers


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=4096,
        style={"input_type": "password"},
        help_text="Your current password, to confirm that you are deleting your account.",
    )
