"""Co-planting teams in the API: a team as its members see it, invitations, and the inputs."""

from __future__ import annotations

from rest_framework import serializers


class TeamMemberSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Display name (or first name) only")
    status = serializers.CharField()
    you = serializers.BooleanField()


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    your_status = serializers.CharField(help_text="invited or active")
    growing_tree = serializers.IntegerField(allow_null=True)
    members = TeamMemberSerializer(
        many=True,
        help_text="Active members (and you, if invited); invitees are listed under "
        "`/teams/{id}/invitations`",
    )
    open_invitations = serializers.IntegerField(
        help_text="Pending invitations: each holds a seat (10 in all, members included)"
    )
    created_at = serializers.DateTimeField()


class TeamCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    invite_emails = serializers.ListField(
        child=serializers.EmailField(),
        required=False,
        default=list,
        max_length=20,
        help_text="Anyone, with or without a Canopy account; the answer is the same",
    )
    invite_user_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )


class TeamInviteInputSerializer(serializers.Serializer):
    emails = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        default=list,
        max_length=9,
        help_text="Anyone, with or without a Canopy account; the answer is the same",
    )
    user_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=9
    )


class TeamInvitationSerializer(serializers.Serializer):
    """Renders ``forest.selectors.teams.invitation_row`` dicts."""

    id = serializers.IntegerField()
    email = serializers.CharField(
        allow_null=True,
        help_text="In full for invitations you sent, masked (b***@e***.nl) for others'; "
        "null for an invitation by user",
    )
    name = serializers.CharField(
        allow_null=True, help_text="Display name, only for an invitation by user"
    )
    status = serializers.ChoiceField(
        choices=["pending", "accepted", "declined", "revoked", "expired"]
    )
    invited_by = serializers.CharField(allow_null=True, help_text="Display name")
    you_invited = serializers.BooleanField(help_text="You sent it, so you may revoke it")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class TeamInvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=128, help_text="From the link in the invitation e-mail (after `#token=`)"
    )
