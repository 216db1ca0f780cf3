"""The partners API routes (included under /api/v1/ by config.urls)."""

from django.urls import path

from partners.api import claims, forests, orders

urlpatterns = [
    # Consumer API (JWT): redeem a sponsor's claim code.
    path("claims", claims.ClaimRedeemApi.as_view(), name="claims"),
    # The forests a user can grow a tree in (JWT); counted from planting orders.
    path("forests", forests.ForestListApi.as_view(), name="forest-list"),
    path("partner/orders", orders.PartnerOrderListApi.as_view(), name="partner-orders"),
    path(
        "partner/orders/<int:order_id>/planted",
        orders.PartnerOrderPlantedApi.as_view(),
        name="partner-order-planted",
    ),
    path(
        "partner/orders/<int:order_id>/survival-checks",
        orders.PartnerSurvivalCheckApi.as_view(),
        name="partner-order-survival-checks",
    ),
]
