"""The planting partners' API: their orders, planting reports with photos, survival checks.

Authenticated by a partner API key (partners.services.api_keys), never by a user's session or JWT.
Every lookup is scoped to the key's partner, so another partner's order answers 404.
"""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from core.jsonsafe import BoundedJSONParser
from partners.api import schema
from partners.api.auth import IsPlantingPartner, PartnerKeyAuthentication, PartnerRateThrottle
from partners.api.serializers.orders import (
    PartnerEvidenceSerializer,
    PartnerOrderSerializer,
    PartnerPlantedInputSerializer,
    PartnerSurvivalInputSerializer,
    PartnerSurvivalSerializer,
)
from partners.models import PartnerApiKey, PlantingOrder
from partners.services.evidence import (
    EvidenceRejected,
    partner_order_report_planted,
    partner_survival_check_record,
)


class PartnerApi(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [IsPlantingPartner]
    throttle_classes = [PartnerRateThrottle]


def _order_not_found() -> Response:
    return error_response(gettext("No such order."), code="not_found", status_code=404)


def _rejected(exc: EvidenceRejected) -> Response:
    return error_response(str(exc), code=exc.code, status_code=400)


class PartnerOrderListApi(PartnerApi, generics.ListAPIView):
    serializer_class = PartnerOrderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no partner
            return PlantingOrder.objects.none()
        orders = PlantingOrder.objects.filter(
            partner_id=cast(PartnerApiKey, self.request.auth).partner_id
        )
        state = self.request.query_params.get("state")
        if state:
            orders = orders.filter(state=state)
        return orders.select_related("tree__species", "forest").order_by("id")

    @schema.partner_order_list
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PartnerOrderPlantedApi(PartnerApi):
    parser_classes = [MultiPartParser, FormParser]
    InputSerializer = PartnerPlantedInputSerializer

    @schema.partner_order_planted
    def post(self, request, order_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            evidence = partner_order_report_planted(
                partner_id=request.auth.partner_id,
                order_id=order_id,
                photo=values["photo"].read(),
                latitude=values["latitude"],
                longitude=values["longitude"],
                planted_at=values.get("planted_at"),
            )
        except PlantingOrder.DoesNotExist:
            return _order_not_found()
        except EvidenceRejected as exc:
            return _rejected(exc)
        evidence.order.refresh_from_db(fields=["state"])
        return Response(PartnerEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class PartnerSurvivalCheckApi(PartnerApi):
    parser_classes = [BoundedJSONParser, FormParser]
    InputSerializer = PartnerSurvivalInputSerializer

    @schema.partner_survival_check
    def post(self, request, order_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            check = partner_survival_check_record(
                partner_id=request.auth.partner_id, order_id=order_id, **data.validated_data
            )
        except PlantingOrder.DoesNotExist:
            return _order_not_found()
        except EvidenceRejected as exc:
            return _rejected(exc)
        return Response(PartnerSurvivalSerializer(check).data, status=status.HTTP_201_CREATED)
