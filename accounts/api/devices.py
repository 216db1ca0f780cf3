"""The devices a user receives pushes on: register (idempotent on the token), list, remove."""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import devices as schema
from accounts.api.serializers.devices import PushDeviceInputSerializer, PushDeviceSerializer
from accounts.models import PushDevice
from accounts.services.devices import DeviceLimitReached, push_device_register, push_device_remove
from core.api import error_response


class DeviceListApi(APIView):
    @schema.DEVICE_LIST_GET
    def get(self, request) -> Response:
        devices = PushDevice.objects.filter(user=request.user).order_by("id")
        return Response(PushDeviceSerializer(devices, many=True).data)

    @schema.DEVICE_LIST_POST
    def post(self, request) -> Response:
        data = PushDeviceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            registration = push_device_register(user_id=request.user.pk, **data.validated_data)
        except DeviceLimitReached as exc:
            return error_response(
                str(exc), code="device_limit", status_code=status.HTTP_409_CONFLICT
            )
        return Response(
            PushDeviceSerializer(registration.device).data,
            status=status.HTTP_201_CREATED if registration.created else status.HTTP_200_OK,
        )


class DeviceDetailApi(APIView):
    @schema.DEVICE_DELETE
    def delete(self, request, device_id: int) -> Response:
        if not push_device_remove(user_id=request.user.pk, device_id=device_id):
            return error_response(
                gettext("No such device."), code="not_found", status_code=status.HTTP_404_NOT_FOUND
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
