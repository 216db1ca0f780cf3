from django.contrib.auth import views as auth_views
from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>/", views.sponsor_overview, name="sponsor"),
]
