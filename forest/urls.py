from django.urls import path

from forest import views

urlpatterns = [
    path("", views.home, name="home"),
    path("teams/join", views.team_join, name="team-join"),
    # Before the page's pattern: <str:number> would take the ".png" too.
    path("certificates/<str:number>.png", views.certificate_image, name="certificate-image"),
    path(
        "certificates/<str:number>/<str:size>.jpg",
        views.certificate_photo,
        name="certificate-photo",
    ),
    path(
        "certificates/<str:number>",
        views.certificate_public,
        name="certificate-public",
    ),
]
