"""URL map. Each app owns its own urls (pages) and api (REST) modules."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from bizportal.core.views import healthz, metrics, readyz

SWAGGER_CDN = "https://cdn.jsdelivr.net"

api_patterns = [
    path("catalog/", include("bizportal.catalog.api")),
    path("applications/", include("bizportal.applications.api")),
    path("payments/", include("bizportal.payments.api")),
    path("licences/", include("bizportal.licences.api")),
    path("mandates/", include("bizportal.identity.api")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # The API explorer loads Swagger UI from its CDN: allowed on this page only.
        csp_update(
            {"script-src": [SWAGGER_CDN], "style-src": [SWAGGER_CDN], "img-src": [SWAGGER_CDN]}
        )(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="core/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
    path("api/v1/", include(api_patterns)),
    path("auth/", include("bizportal.identity.urls")),
    path("sandbox/idp/", include("bizportal.sandbox_idp.urls")),
    path("sandbox/registries/", include("bizportal.registries.urls")),
    path("sandbox/bank/", include("bizportal.payments.contrib.sandbox.urls")),
    path("payments/", include("bizportal.payments.urls")),
    path("", include("bizportal.licences.urls")),
    path("", include("bizportal.privacy.urls")),
    path("backoffice/", include("bizportal.backoffice.urls")),
    path("", include("bizportal.portal.urls")),
]
