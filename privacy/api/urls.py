from django.urls import path

from privacy.api import erasure, export

urlpatterns = [
    # GET and PATCH are the accounts app's view; this subclass adds DELETE (the erasure).
    path("me", erasure.MeApi.as_view(), name="me"),
    path("me/export", export.MeExportApi.as_view(), name="me-export"),
]
