"""The brand forests a user can choose for a tree: open, with capacity and budget figures.

Served by partners because "open with room left" is counted from planting orders; the species
are shaped by the forest app's serializer.
"""

from __future__ import annotations

from django.utils.translation import get_language
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.api import schema
from partners.api.serializers.forests import ForestSerializer
from partners.selectors.forests import forests_open_list


class ForestListApi(APIView):
    @schema.forest_list
    def get(self, request) -> Response:
        forests = forests_open_list()
        locale = (get_language() or "en")[:2]
        return Response(ForestSerializer(forests, many=True, context={"locale": locale}).data)
