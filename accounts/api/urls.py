from django.urls import path

from accounts.api import auth_views, feed_views, friend_views, plaid_views, views

urlpatterns = [
    path("auth/register", auth_views.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", auth_views.LoginApi.as_view(), name="auth-token"),
    path("auth/token/refresh", auth_views.RefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", auth_views.LogoutApi.as_view(), name="auth-logout"),
    path("me", views.MeApi.as_view(), name="me"),
    path("me/export", views.MeExportApi.as_view(), name="me-export"),
    path("me/password", views.PasswordChangeApi.as_view(), name="me-password"),
    path("me/notifications", views.NotificationListApi.as_view(), name="me-notifications"),
    path(
        "me/notification-preferences",
        views.NotificationPreferencesApi.as_view(),
        name="me-notification-preferences",
    ),
    # Friends (their forests, stealing, watering and the leaderboard: forest.api.urls)
    path("friends", friend_views.FriendListApi.as_view(), name="friends"),
    path("friends/invite", friend_views.FriendInviteApi.as_view(), name="friends-invite"),
    path("friends/accept", friend_views.FriendAcceptApi.as_view(), name="friends-accept"),
    path("friends/<int:user_id>", friend_views.FriendDetailApi.as_view(), name="friend-detail"),
    # Linked feeds
    path("feeds", feed_views.FeedListCreateApi.as_view(), name="feeds"),
    path("feeds/csv-template", feed_views.CsvTemplateApi.as_view(), name="feeds-csv-template"),
    path(
        "feeds/plaid/link-token",
        plaid_views.PlaidLinkTokenApi.as_view(),
        name="feeds-plaid-link-token",
    ),
    path(
        "feeds/plaid/exchange", plaid_views.PlaidExchangeApi.as_view(), name="feeds-plaid-exchange"
    ),
    path("feeds/<int:feed_id>", feed_views.FeedDetailApi.as_view(), name="feed-detail"),
    path("feeds/<int:feed_id>/consent", feed_views.FeedConsentApi.as_view(), name="feed-consent"),
    path("feeds/<int:feed_id>/uploads", feed_views.FeedUploadApi.as_view(), name="feed-uploads"),
    path(
        "feeds/<int:feed_id>/imports", feed_views.FeedImportListApi.as_view(), name="feed-imports"
    ),
    path(
        "webhooks/feeds/<str:provider>",
        feed_views.FeedWebhookApi.as_view(),
        name="feed-webhook",
    ),
    path("transactions", feed_views.TransactionListApi.as_view(), name="transactions"),
]
