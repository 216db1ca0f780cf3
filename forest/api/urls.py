from django.urls import path

from forest.api import views

urlpatterns = [
    path("forest", views.ForestHomeApi.as_view(), name="forest-home"),
    path("drops/collect-all", views.DropCollectAllApi.as_view(), name="drops-collect-all"),
    path("drops/<int:drop_id>/collect", views.DropCollectApi.as_view(), name="drop-collect"),
    path("ledger", views.LedgerListApi.as_view(), name="ledger"),
]
