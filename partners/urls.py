from django.contrib.auth import views as auth_views
from django.urls import path

from partners import portal_billing, portal_branding, portal_claims, views

app_name = "partners"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>/", views.sponsor_overview, name="sponsor"),
    path("<slug:slug>/forests/", views.forest_list, name="forests"),
    path("<slug:slug>/forests/<int:forest_id>/", views.forest_detail, name="forest"),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/",
        portal_billing.statement_current,
        name="statement_current",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/<int:year>-<int:month>/",
        portal_billing.statement,
        name="statement",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/<int:year>-<int:month>.csv",
        portal_billing.statement_csv,
        name="statement_csv",
    ),
    path("<slug:slug>/campaigns/", views.campaign_list, name="campaigns"),
    path("<slug:slug>/campaigns/new/", views.campaign_create, name="campaign_create"),
    path("<slug:slug>/campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path(
        "<slug:slug>/campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"
    ),
    path("<slug:slug>/claims/", portal_claims.batch_list, name="claims"),
    path("<slug:slug>/claims/new/", portal_claims.batch_create, name="claim_batch_create"),
    path("<slug:slug>/claims/<int:batch_id>/", portal_claims.batch_detail, name="claim_batch"),
    path(
        "<slug:slug>/claims/<int:batch_id>/codes.csv",
        portal_claims.batch_codes_csv,
        name="claim_batch_codes",
    ),
    path(
        "<slug:slug>/claims/<int:batch_id>/release/",
        portal_claims.batch_release,
        name="claim_batch_release",
    ),
    path("<slug:slug>/invoices/", portal_billing.invoice_list, name="invoices"),
    path("<slug:slug>/invoices/new/", portal_billing.topup_request, name="topup"),
    path("<slug:slug>/invoices/<str:number>/", portal_billing.invoice_detail, name="invoice"),
    path("<slug:slug>/branding/", portal_branding.branding_edit, name="branding"),
    path("<slug:slug>/branding/logo.png", portal_branding.sponsor_logo, name="logo"),
    path("<slug:slug>/reports/trees.csv", views.report_trees_csv, name="report_trees"),
    path("<slug:slug>/reports/campaigns.csv", views.report_campaigns_csv, name="report_campaigns"),
]
