from django.urls import path

from accounts.api import (
    auth,
    devices,
    feeds,
    friends,
    notifications,
    plaid,
    uploads,
    users,
    webhooks,
)

urlpatterns = [
    path("auth/register", auth.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", auth.LoginApi.as_view(), name="auth-token"),
    path("auth/token/refresh", auth.RefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", auth.LogoutApi.as_view(), name="auth-logout"),
    path("auth/email/verify", auth.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path(
        "me/email/verification",
        auth.EmailVerificationResendApi.as_view(),
        name="me-email-verification",
    ),
    # me (GET, PATCH, DELETE) and me/export: privacy.api.urls, as DELETE erases across apps
    path("me/password", users.PasswordChangeApi.as_view(), name="me-password"),
    path("me/notifications", notifications.NotificationListApi.as_view(), name="me-notifications"),
    path(
        "me/notification-preferences",
        notifications.NotificationPreferencesApi.as_view(),
        name="me-notification-preferences",
    ),
    path("me/devices", devices.DeviceListApi.as_view(), name="me-devices"),
    path("me/devices/<int:device_id>", devices.DeviceDetailApi.as_view(), name="me-device"),
    # Friends (their forests, stealing, watering and the leaderboard: forest.api.urls)
    path("friends", friends.FriendListApi.as_view(), name="friends"),
    path("friends/invite", friends.FriendInviteApi.as_view(), name="friends-invite"),
    path("friends/accept", friends.FriendAcceptApi.as_view(), name="friends-accept"),
    path("friends/<int:user_id>", friends.FriendDetailApi.as_view(), name="friend-detail"),
    # Linked feeds
    path("feeds", feeds.FeedListCreateApi.as_view(), name="feeds"),
    path("feeds/csv-template", uploads.CsvTemplateApi.as_view(), name="feeds-csv-template"),
    path(
        "feeds/plaid/link-token",
        plaid.PlaidLinkTokenApi.as_view(),
        name="feeds-plaid-link-token",
    ),
    path("feeds/plaid/exchange", plaid.PlaidExchangeApi.as_view(), name="feeds-plaid-exchange"),
    path("feeds/<int:feed_id>", feeds.FeedDetailApi.as_view(), name="feed-detail"),
    path("feeds/<int:feed_id>/consent", feeds.FeedConsentApi.as_view(), name="feed-consent"),
    path("feeds/<int:feed_id>/uploads", uploads.FeedUploadApi.as_view(), name="feed-uploads"),
    path("feeds/<int:feed_id>/imports", feeds.FeedImportListApi.as_view(), name="feed-imports"),
    path("imports/<uuid:job_id>", uploads.ImportJobApi.as_view(), name="import-job"),
    path(
        "webhooks/feeds/<str:provider>",
        webhooks.FeedWebhookApi.as_view(),
        name="feed-webhook",
    ),
    # transactions (each with its green action): forest.api.urls
]
