"""Trees in the API: species, forests, a tree as the app shows it, and what you send to start,
grow or move one."""

from __future__ import annotations

from rest_framework import serializers


class SpeciesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.SerializerMethodField()
    latin_name = serializers.CharField()
    energy_cost_grams = serializers.IntegerField()
    stage_thresholds = serializers.ListField(child=serializers.IntegerField())
    planting_months = serializers.ListField(child=serializers.IntegerField())

    def get_name(self, species) -> str:
        return species.name(self.context.get("locale", "en"))


class TreeSpeciesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    latin_name = serializers.CharField()


class TreeForestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sponsor = serializers.CharField()


class TreeTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ContributionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Display name (or first name) only")
    grams = serializers.IntegerField()
    you = serializers.BooleanField()


class TreeSerializer(serializers.Serializer):
    """Renders ``forest.selectors.trees.tree_summary`` dicts."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    species = TreeSpeciesSerializer()
    forest = TreeForestSerializer()
    energy_grams = serializers.IntegerField()
    cost_grams = serializers.IntegerField()
    needed_grams = serializers.IntegerField()
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    stage = serializers.IntegerField(min_value=0, max_value=6)
    stage_name = serializers.CharField(help_text="The stage's name, in your language")
    phase = serializers.ChoiceField(
        choices=["growing", "waiting_for_forest", "to_be_planted", "planted"],
        help_text="Where the tree is: growing; grown and waiting for a forest to fund it; "
        "funded and with the planting partner; planted",
    )
    artwork_key = serializers.CharField(
        help_text="The artwork to draw: <species code>/stage-<0-6>, or <species code>/planted"
    )
    funded = serializers.BooleanField(help_text="A planting order is paid for by the forest")
    order_state = serializers.CharField(allow_null=True)
    matured_at = serializers.DateTimeField(allow_null=True)
    certificate_number = serializers.CharField(allow_null=True)
    alive = serializers.BooleanField(
        allow_null=True, help_text="The latest survival check (years 1-5); null until checked"
    )
    team = TreeTeamSerializer(allow_null=True, help_text="Set for a co-planted team tree")
    contributions = ContributionSerializer(
        many=True, help_text="A team tree's grams by member, largest first; empty otherwise"
    )


class TreeActionResultSerializer(serializers.Serializer):
    tree = TreeSerializer()
    grown_grams = serializers.IntegerField()
    balance_grams = serializers.IntegerField()
    matured = serializers.BooleanField()
    funded = serializers.BooleanField()
    message = serializers.CharField()


class TreeStartInputSerializer(serializers.Serializer):
    species = serializers.IntegerField()
    forest = serializers.IntegerField()
    team = serializers.IntegerField(
        required=False, help_text="Start your team's tree instead of a personal one"
    )


class TreeGrowInputSerializer(serializers.Serializer):
    grams = serializers.IntegerField(
        min_value=1, required=False, help_text="Omit to grow with your whole balance"
    )
    request_id = serializers.UUIDField(
        required=False, help_text="Send the same id when retrying; also Idempotency-Key"
    )


class TreeMoveInputSerializer(serializers.Serializer):
    forest = serializers.IntegerField()


class TreeImpactSerializer(serializers.Serializer):
    grown = serializers.IntegerField(help_text="Trees you grew to maturity")
    planted = serializers.IntegerField(help_text="Of those, planted by the partner")
    surviving = serializers.IntegerField(
        help_text="Planted trees not found dead at their latest yearly survival check"
    )
