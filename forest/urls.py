from django.urls import path

from forest import views

urlpatterns = [
    path("", views.home, name="home"),
    path("teams/join", views.team_join, name="team-join"),
    path(
        "certificates/<str:number>",
        views.certificate_public,
        name="certificate-public",
    ),
]
