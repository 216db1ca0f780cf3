from django.contrib.auth import views as auth_views
from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>/", views.sponsor_overview, name="sponsor"),
    path("<slug:slug>/forests/", views.forest_list, name="forests"),
    path("<slug:slug>/forests/<int:forest_id>/", views.forest_detail, name="forest"),
    path("<slug:slug>/campaigns/", views.campaign_list, name="campaigns"),
    path("<slug:slug>/campaigns/new/", views.campaign_create, name="campaign_create"),
    path("<slug:slug>/campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path(
        "<slug:slug>/campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"
    ),
    path("<slug:slug>/reports/trees.csv", views.report_trees_csv, name="report_trees"),
    path("<slug:slug>/reports/campaigns.csv", views.report_campaigns_csv, name="report_campaigns"),
]
