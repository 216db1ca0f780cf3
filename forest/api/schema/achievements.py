"""OpenAPI decorations of the badge and challenge views (forest.api.achievements)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from forest.api.serializers.achievements import BadgeSerializer, ChallengeSerializer

_CHALLENGE_EXAMPLE = {
    "id": 3,
    "code": "train-week",
    "title": "Take the train three times",
    "text": "Between 1 and 7 December, take the train three times.",
    "action_types": ["rail"],
    "target_kind": "count",
    "target": 3,
    "progress": 1,
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-07",
    "bonus_grams": 100,
    "sponsor": None,
    "joined": True,
    "completed_at": None,
}


badges = extend_schema(
    responses=BadgeSerializer(many=True),
    summary="Every badge, earned or not yet, with progress where it is a count",
    examples=[
        OpenApiExample(
            "Badges",
            value=[
                {
                    "code": "first_green_action",
                    "name": "First green choice",
                    "description": "Your first green choice was recognised in your bank "
                    "transactions.",
                    "earned": True,
                    "earned_at": "2026-11-20T04:00:02Z",
                    "progress": {"current": 1, "target": 1},
                },
                {
                    "code": "rail_10",
                    "name": "Ten train trips",
                    "description": "You took the train ten times instead of the car.",
                    "earned": False,
                    "earned_at": None,
                    "progress": {"current": 4, "target": 10},
                },
            ],
            response_only=True,
        )
    ],
)

challenges = extend_schema(
    responses=ChallengeSerializer(many=True),
    summary="Open challenges with your progress",
    examples=[OpenApiExample("Challenges", value=[_CHALLENGE_EXAMPLE], response_only=True)],
)

challenge_join = extend_schema(
    request=None,
    responses={
        201: ChallengeSerializer,
        200: OpenApiResponse(ChallengeSerializer, description="Joined already"),
        404: OpenApiResponse(description="No such challenge open today"),
    },
    summary="Join an open challenge (joining again changes nothing)",
    examples=[OpenApiExample("Joined", value=_CHALLENGE_EXAMPLE, response_only=True)],
)
