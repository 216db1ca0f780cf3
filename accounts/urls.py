from django.urls import path

from accounts import views

urlpatterns = [
    path(
        "notifications/unsubscribe/<str:token>",
        views.unsubscribe,
        name="notifications-unsubscribe",
    ),
]
