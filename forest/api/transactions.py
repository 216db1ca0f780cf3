"""The user's transactions, each with its green action (accounts' rows, forest's scoring)."""

from __future__ import annotations

from typing import cast

import django_filters
from rest_framework import generics
from rest_framework.response import Response

from accounts.models import Transaction, User
from accounts.selectors.transactions import (
    transaction_get_for_user,
    transaction_list_for_user,
    transactions_with_earning_facts,
)
from accounts.selectors.users import profile_locale
from core.api import plain_rows
from core.readviews import CachedReadMixin, cached_read
from forest.api.schema import transactions as schema
from forest.api.serializers.transactions import TransactionSerializer
from forest.selectors.green_actions import green_action_summaries


class TransactionFilter(django_filters.FilterSet):
    booked_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    booked_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")
    feed = django_filters.NumberFilter(field_name="feed_id")

    class Meta:
        model = Transaction
        fields = ["booked_from", "booked_to", "feed"]


class TransactionListApi(CachedReadMixin, generics.ListAPIView):
    read_cache_name = "transactions"

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter

    @schema.transaction_list
    def get(self, request, *args, **kwargs):  # a Response, or the document (HttpResponse)
        # The user's document while no import, scoring or redaction touched their rows.
        return cached_read(request, self, lambda: (self.page(request), None))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Transaction.objects.none()
        return transactions_with_earning_facts(
            transaction_list_for_user(user=cast(User, self.request.user))
        )

    def list(self, request, *args, **kwargs) -> Response:
        return Response(self.page(request))

    def page(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = self.get_serializer_context()
        # Each row's green action summary in one query, whatever the number of rows.
        context["green_actions"] = green_action_summaries(
            [row.id for row in rows], locale=profile_locale(cast(User, request.user))
        )
        data = plain_rows(self.get_serializer(context=context), rows)
        if page is None:
            return data
        return self.get_paginated_response(data).data


class TransactionDetailApi(generics.GenericAPIView):
    serializer_class = TransactionSerializer

    @schema.transaction_detail
    def get(self, request, transaction_id: int) -> Response:
        user = cast(User, request.user)
        row = transaction_get_for_user(user=user, transaction_id=transaction_id)
        context = self.get_serializer_context()
        context["green_actions"] = green_action_summaries([row.id], locale=profile_locale(user))
        return Response(self.get_serializer(row, context=context).data)
