from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.health import healthz, readyz
from config.metrics import metrics_view
from core.api import api_not_found

api_v1 = [
    path("", include("privacy.api.urls")),  # before accounts: /me with DELETE
    path("", include("accounts.api.urls")),
    path("", include("forest.api.urls")),
    path("", include("partners.api.urls")),
]

# The admin's app sidebar costs a list 300 px of a 1280 px screen and clips its columns; the
# index page and the breadcrumbs lead to every model just as well.
admin.site.enable_nav_sidebar = False

# Swagger UI's and ReDoc's pages (served from our static files) carry drf-spectacular's inline
# <style> and inject styles at run time; ReDoc searches in a blob: worker. A nonce would make
# browsers ignore 'unsafe-inline', so their style-src names none. Scripts stay 'self' + nonce.
_docs_csp = csp_replace({"style-src": [SELF, "'unsafe-inline'"], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),  # not public: config/metrics.py
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        _docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/", _docs_csp(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"
    ),
    re_path(r"^api/", api_not_found),
    path("partners/", include("partners.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("forest.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
