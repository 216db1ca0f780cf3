"""OpenAPI decorations of the friends' views (forest.api.social)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from forest.api.serializers.social import (
    SOCIAL_ERROR,
    FriendForestSerializer,
    LeaderboardRowSerializer,
    SocialActivitySerializer,
    StealResultSerializer,
    WaterInputSerializer,
    WaterResultSerializer,
)


def _err(description: str) -> OpenApiResponse:
    return OpenApiResponse(SOCIAL_ERROR, description=description)


friend_forest = extend_schema(
    responses={200: FriendForestSerializer, 404: _err("Not your friend")},
    summary="A friend's forest: tree progress and ripe drops you could take from",
    description=(
        "Only for accepted friends. Drops show grams only, never what they were earned "
        "for; `stealable_grams` is what you could take now (0 during the owner's first "
        "two hours after ripening, after you took from it, or when the friend opted out)."
    ),
    examples=[
        OpenApiExample(
            "Forest",
            value={
                "user_id": 42,
                "display_name": "Bram",
                "steal_protected": False,
                "tree": {
                    "species": "Saxaul",
                    "stage": 3,
                    "progress_percent": 41,
                    "status": "growing",
                },
                "drops": [
                    {
                        "id": 901,
                        "grams": 52,
                        "remaining_grams": 52,
                        "stealable_grams": 15,
                        "stealable_from": "2026-11-26T08:00:00Z",
                        "taken_by_you": False,
                        "expires_at": "2026-11-29T06:00:00Z",
                    }
                ],
            },
            response_only=True,
        )
    ],
)

drop_steal = extend_schema(
    request=None,
    responses={
        200: StealResultSerializer,
        403: _err("Your energy is on hold during a fraud review (`energy_on_hold`)"),
        404: _err("Not your friend, or no such drop of theirs"),
        409: _err(
            "Not ripe (`ripening`), in the owner's first two hours (`grace_period`), "
            "collected or expired (`gone`), taken by you already (`already_stolen`), "
            "nothing left (`nothing_left`), your daily limit (`daily_limit`), or the "
            "friend's drops are protected (`protected`)"
        ),
    },
    summary="Take a share of a friend's ripe drop",
    description=(
        "At most 30 % of the drop (rounded down, at least 1 g), once per drop, 10 drops a "
        "day; the owner always keeps 40 %. The owner is told who took how much."
    ),
    examples=[
        OpenApiExample(
            "Taken",
            value={"drop_id": 901, "stolen_grams": 15, "balance_grams": 1215},
            response_only=True,
            status_codes=[200],
        ),
        OpenApiExample(
            "Too early",
            value={
                "detail": "Your friend has the first two hours after ripening to collect "
                "it; come back later.",
                "code": "grace_period",
            },
            response_only=True,
            status_codes=[409],
        ),
    ],
)

friend_water = extend_schema(
    request=WaterInputSerializer,
    responses={
        200: WaterResultSerializer,
        400: _err("Grams not one of 10, 18, 33, 66"),
        403: _err("Your energy is on hold during a fraud review (`energy_on_hold`)"),
        404: _err("Not your friend"),
        409: _err(
            "Watered this friend today already (`already_watered`), not enough collected "
            "energy (`insufficient_energy`), or no growing tree (`no_tree`)"
        ),
    },
    summary="Water a friend's tree with your collected energy",
    description=(
        "Moves 10, 18, 33 or 66 g of your balance into the friend's growing personal "
        "tree (at most what it still needs), once per friend per day."
    ),
    examples=[
        OpenApiExample("Water", value={"grams": 33}, request_only=True),
        OpenApiExample(
            "Watered",
            value={"watered_grams": 33, "balance_grams": 1182, "tree_matured": False},
            response_only=True,
            status_codes=[200],
        ),
    ],
)

friends_leaderboard = extend_schema(
    responses=LeaderboardRowSerializer(many=True),
    summary="You and your friends, by energy earned in the last 7 days and trees planted",
    description=(
        "Earned means scored from green choices (not stolen or watered energy); equal "
        "scores share a rank."
    ),
    examples=[
        OpenApiExample(
            "Leaderboard",
            value=[
                {
                    "rank": 1,
                    "user_id": 42,
                    "display_name": "Bram",
                    "you": False,
                    "earned_grams": 1480,
                    "trees_planted": 2,
                },
                {
                    "rank": 2,
                    "user_id": 7,
                    "display_name": "Anna",
                    "you": True,
                    "earned_grams": 960,
                    "trees_planted": 1,
                },
            ],
            response_only=True,
        )
    ],
)

social_activity = extend_schema(
    responses=SocialActivitySerializer(many=True),
    summary="Who took from your drops and watered your tree, and what you did, newest first",
    description="The last 100 steals and waterings you were part of, with grams and names.",
    examples=[
        OpenApiExample(
            "Activity",
            value=[
                {
                    "kind": "steal",
                    "direction": "stolen_from_you",
                    "friend_id": 42,
                    "friend_name": "Bram",
                    "grams": 15,
                    "drop_id": 901,
                    "created_at": "2026-11-26T09:12:00Z",
                },
                {
                    "kind": "water",
                    "direction": "watered_you",
                    "friend_id": 43,
                    "friend_name": "Tess",
                    "grams": 33,
                    "drop_id": None,
                    "created_at": "2026-11-25T18:40:00Z",
                },
            ],
            response_only=True,
        )
    ],
)
