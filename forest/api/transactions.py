"""The user's transactions, each with its green action (accounts' rows, forest's scoring)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from accounts.models import Transaction
from accounts.selectors.transactions import transaction_list_for_user
from accounts.selectors.users import profile_locale
from forest.api.transaction_serializers import TransactionSerializer
from forest.selectors import green_action_summaries


class TransactionFilter(django_filters.FilterSet):
    booked_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    booked_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")
    feed = django_filters.NumberFilter(field_name="feed_id")

    class Meta:
        model = Transaction
        fields = ["booked_from", "booked_to", "feed"]


class TransactionListApi(generics.ListAPIView):
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter

    @extend_schema(
        summary="Your transactions, newest first, each with its green action",
        description="Removed transactions (voided, replaced pending ones) are left out. "
        "`green_action` is null until the nightly scoring has seen the transaction.",
    )
    def get(self, request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Transaction.objects.none()
        return transaction_list_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = self.get_serializer_context()
        # Each row's green action summary in one query, whatever the number of rows.
        context["green_actions"] = green_action_summaries(
            [row.id for row in rows], locale=profile_locale(request.user)
        )
        data = self.get_serializer(rows, many=True, context=context).data
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)
