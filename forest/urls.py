from django.urls import path

from forest import views

urlpatterns = [path("", views.home, name="home")]
