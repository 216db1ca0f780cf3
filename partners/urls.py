"""The partner portal's URLs (namespace ``partners``), views in partners/portal/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from partners.portal import billing, branding, campaigns, claims, forests, reports, sponsors

app_name = "partners"

urlpatterns = [
    path("login/", sponsors.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", sponsors.dashboard, name="dashboard"),
    path("<slug:slug>/", sponsors.sponsor_overview, name="sponsor"),
    path("<slug:slug>/forests/", forests.forest_list, name="forests"),
    path("<slug:slug>/forests/<int:forest_id>/", forests.forest_detail, name="forest"),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/",
        billing.statement_current,
        name="statement_current",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/<int:year>-<int:month>/",
        billing.statement,
        name="statement",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/statement/<int:year>-<int:month>.csv",
        billing.statement_csv,
        name="statement_csv",
    ),
    path(
        "<slug:slug>/evidence/<int:evidence_id>/<str:size>.jpg",
        forests.evidence_photo,
        name="evidence_photo",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/impact/<int:year>-<int:month>.pdf",
        reports.impact_pdf,
        name="impact_pdf",
    ),
    path(
        "<slug:slug>/forests/<int:forest_id>/impact/<int:year>-<int:month>.csv",
        reports.impact_csv,
        name="impact_csv",
    ),
    path("<slug:slug>/campaigns/", campaigns.campaign_list, name="campaigns"),
    path("<slug:slug>/campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("<slug:slug>/campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path(
        "<slug:slug>/campaigns/<int:campaign_id>/edit/",
        campaigns.campaign_edit,
        name="campaign_edit",
    ),
    path("<slug:slug>/claims/", claims.batch_list, name="claims"),
    path("<slug:slug>/claims/new/", claims.batch_create, name="claim_batch_create"),
    path("<slug:slug>/claims/<int:batch_id>/", claims.batch_detail, name="claim_batch"),
    path(
        "<slug:slug>/claims/<int:batch_id>/codes.csv",
        claims.batch_codes_csv,
        name="claim_batch_codes",
    ),
    path(
        "<slug:slug>/claims/<int:batch_id>/release/",
        claims.batch_release,
        name="claim_batch_release",
    ),
    path("<slug:slug>/invoices/", billing.invoice_list, name="invoices"),
    path("<slug:slug>/invoices/new/", billing.topup_request, name="topup"),
    path("<slug:slug>/invoices/<str:number>/", billing.invoice_detail, name="invoice"),
    path("<slug:slug>/branding/", branding.branding_edit, name="branding"),
    path("<slug:slug>/branding/logo.png", branding.sponsor_logo, name="logo"),
    path("<slug:slug>/reports/trees.csv", reports.report_trees_csv, name="report_trees"),
    path(
        "<slug:slug>/reports/campaigns.csv", reports.report_campaigns_csv, name="report_campaigns"
    ),
]
