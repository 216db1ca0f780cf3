"""Serializers of friends and invite codes."""

from __future__ import annotations

from rest_framework import serializers


class FriendSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    friends_since = serializers.DateTimeField(allow_null=True)


class FriendInviteSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Shown once; give it to your friend.")
    expires_at = serializers.DateTimeField()


class FriendAcceptInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The code a friend gave you.")
