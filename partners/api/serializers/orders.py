"""The planting partners' orders API: request and response bodies."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

# Photos larger than this are refused before they are read (sanitise_photo's own limit).
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class PartnerOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    idempotency_key = serializers.UUIDField()
    state = serializers.CharField()
    species_code = serializers.CharField(source="tree.species.code")
    species_latin = serializers.CharField(source="tree.species.latin_name")
    forest = serializers.CharField(source="forest.name")
    forest_area = serializers.JSONField(source="forest.area", help_text="GeoJSON (lon, lat)")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    currency = serializers.CharField()
    provider_reference = serializers.CharField()
    hold_reason = serializers.CharField(help_text="Why a requested order waits (e.g. season)")
    created_at = serializers.DateTimeField()
    planted_at = serializers.DateTimeField(allow_null=True)
    planted_latitude = serializers.FloatField(allow_null=True)
    planted_longitude = serializers.FloatField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)


class PartnerPlantedInputSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="JPEG or PNG with GPS in its EXIF, taken on site")
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    planted_at = serializers.DateTimeField(required=False)

    def validate_photo(self, photo):
        if photo.size > MAX_PHOTO_BYTES:
            raise serializers.ValidationError(gettext("The photo is larger than 10 MB."))
        return photo

    def validate_planted_at(self, value):
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError(gettext("Planting cannot be in the future."))
        return value


class PartnerEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    order_state = serializers.CharField(source="order.state")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    taken_at = serializers.DateTimeField(allow_null=True)
    dhash = serializers.CharField()


class PartnerSurvivalInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1, max_value=5)
    alive = serializers.BooleanField()
    checked_on = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    def validate_checked_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(gettext("A check cannot be in the future."))
        return value


class PartnerSurvivalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    year = serializers.IntegerField()
    alive = serializers.BooleanField()
    checked_on = serializers.DateField()
    note = serializers.CharField()
