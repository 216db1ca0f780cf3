from django.urls import path

from accounts.api import auth_views, views

urlpatterns = [
    path("auth/register", auth_views.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", auth_views.LoginApi.as_view(), name="auth-token"),
    path("auth/token/refresh", auth_views.RefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", auth_views.LogoutApi.as_view(), name="auth-logout"),
    path("me", views.MeApi.as_view(), name="me"),
    path("me/password", views.PasswordChangeApi.as_view(), name="me-password"),
    path("me/notifications", views.NotificationListApi.as_view(), name="me-notifications"),
]
