"""Serializers of linked feeds, consents, imports, uploads and Plaid Link."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.models import Consent, ImportBatch, ImportJob, LinkedFeed, Provider
from accounts.selectors.feeds import feed_current_consent
from accounts.selectors.import_jobs import import_job_progress


class ConsentInputSerializer(serializers.Serializer):
    """What the user agreed to. Nothing is pre-ticked: both fields must be sent."""

    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Consent.Scope.choices), allow_empty=False
    )
    purpose_accepted = serializers.BooleanField(
        help_text="true once the user has read and accepted the purpose text."
    )

    def validate_purpose_accepted(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(gettext("The purpose must be accepted explicitly."))
        return value


class FeedLinkInputSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Provider.choices)
    account_ref = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="The aggregator's account id; generated for sandbox and file feeds if empty.",
    )
    display_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    unstable_ids = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The bank changes its transaction ids between files: deduplicate on content.",
    )
    consent = ConsentInputSerializer()


class ConsentSerializer(serializers.ModelSerializer):
    live = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "scopes",
            "purpose",
            "granted_at",
            "expires_at",
            "revoked_at",
            "expired_at",
            "live",
            "days_left",
        ]
        read_only_fields = fields

    def get_live(self, consent: Consent) -> bool:
        return consent.is_live(timezone.now())

    def get_days_left(self, consent: Consent) -> int:
        if not consent.is_live(timezone.now()):
            return 0
        return max(0, (consent.expires_at - timezone.now()).days)


class FeedSerializer(serializers.ModelSerializer):
    consent = serializers.SerializerMethodField()

    class Meta:
        model = LinkedFeed
        fields = [
            "id",
            "provider",
            "account_ref",
            "display_name",
            "status",
            "unstable_ids",
            "trust",
            "consented_on",
            "last_synced_at",
            "last_error",
            "created_at",
            "consent",
        ]
        read_only_fields = fields

    @extend_schema_field(ConsentSerializer(allow_null=True))
    def get_consent(self, feed: LinkedFeed) -> dict | None:
        consent = feed_current_consent(feed)
        return ConsentSerializer(consent).data if consent else None


class ImportBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "feed",
            "source",
            "format",
            "status",
            "file_name",
            "file_sha256",
            "delivery_id",
            "count_new",
            "count_updated",
            "count_duplicate",
            "count_removed",
            "count_rejected",
            "errors",
            "duration_ms",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="Line in the file, if known.")
    field = serializers.CharField(allow_blank=True)
    where = serializers.CharField(allow_blank=True, help_text="XML element or JSON path.")
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """A background import (uploads above ``CANOPY_BACKGROUND_IMPORT_BYTES``)."""

    url = serializers.SerializerMethodField(help_text="Where to poll this job.")
    rows_processed = serializers.SerializerMethodField(
        help_text="Rows imported so far (estimated from the bytes read while running)."
    )
    rows_total = serializers.IntegerField(
        allow_null=True, help_text="Rows the file holds (counted at upload; null for JSON)."
    )
    error = ImportErrorSerializer(
        allow_null=True, help_text="Why the whole file was rejected (state failed); else null."
    )
    import_batch = ImportBatchSerializer(
        allow_null=True, help_text="The import's outcome once done (or rejected)."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "feed",
            "state",
            "file_name",
            "format",
            "file_size",
            "rows_processed",
            "rows_total",
            "error",
            "import_batch",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job: ImportJob) -> str:
        path = reverse("import-job", kwargs={"job_id": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_rows_processed(self, job: ImportJob) -> int:
        return import_job_progress(job)


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="OFX/QFX, camt.053 XML, Plaid or Berlin Group JSON, CSV")
    format = serializers.ChoiceField(
        choices=["ofx", "camt053", "csv", "plaid", "berlin_group"],
        required=False,
        help_text="Detected from the file's first bytes when left out.",
    )


class RevocationSerializer(serializers.Serializer):
    feed = serializers.IntegerField()
    status = serializers.CharField()
    revoked_at = serializers.DateTimeField()
    consents_revoked = serializers.IntegerField()
    erased = serializers.DictField(help_text="How many transactions had which fields erased.")
    kept = serializers.DictField(help_text="What stays: the figures scoring derived.")


class PlaidLinkTokenSerializer(serializers.Serializer):
    link_token = serializers.CharField(help_text="Open Plaid Link with this token.")
    expiration = serializers.DateTimeField(help_text="The token is refused by Link after this.")


class PlaidExchangeInputSerializer(serializers.Serializer):
    """What Plaid Link's onSuccess gave the app, and the user's explicit consent."""

    public_token = serializers.CharField(
        max_length=256, help_text="onSuccess's public_token (single use, valid 30 minutes)."
    )
    account_id = serializers.CharField(
        max_length=128,
        help_text="The Plaid account_id of the account the user chose (metadata.accounts[].id).",
    )
    display_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    consent = ConsentInputSerializer()
