"""URL map. Each app owns its own urls (pages) and api (REST) modules."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView

from bizportal.core.views import healthz, metrics, readyz

api_patterns = [
    path("catalog/", include("bizportal.catalog.api")),
    path("applications/", include("bizportal.applications.api")),
    path("payments/", include("bizportal.payments.api")),
    path("licences/", include("bizportal.licences.api")),
    path("mandates/", include("bizportal.identity.api")),
    path("advisor/", include("bizportal.advisor.api")),
    path("exchange/", include("bizportal.exchange.api")),
    path("integrations/", include("bizportal.integrations.api")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Agency systems' tokens (client credentials); no authorisation pages are served.
    path("o/token/", TokenView.as_view(), name="oauth2-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI from our own static files (drf-spectacular-sidecar), under the CSP.
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="core/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/v1/", include(api_patterns)),
    path("auth/", include("bizportal.identity.urls")),
    path("sandbox/idp/", include("bizportal.sandbox_idp.urls")),
    path("sandbox/thaid/", include("bizportal.sandbox_idp.urls_thaid")),
    path("sandbox/ndid/", include("bizportal.sandbox_idp.urls_ndid")),
    path(
        "sandbox/card-reader/",
        include("bizportal.identity.contrib.sandbox_card_reader.server"),
    ),
    path("sandbox/registries/", include("bizportal.registries.urls")),
    path("sandbox/bank/", include("bizportal.payments.contrib.sandbox.urls")),
    path("sandbox/card/", include("bizportal.payments.contrib.gateways.urls_card")),
    path("sandbox/cgd/", include("bizportal.payments.contrib.gateways.urls_cgd")),
    path("sandbox/", include("bizportal.notifications.contrib.sandbox.urls")),
    path("", include("bizportal.notifications.urls")),
    path("", include("bizportal.surveys.urls")),
    path("payments/", include("bizportal.payments.urls")),
    path("", include("bizportal.licences.urls")),
    path("", include("bizportal.privacy.urls")),
    path("", include("bizportal.federation.urls")),
    path("advisor/", include("bizportal.advisor.urls")),
    path("", include("bizportal.contact.urls")),
    path("backoffice/reports/", include("bizportal.reports.urls")),
    path("backoffice/", include("bizportal.backoffice.urls")),
    path("open-data/", include("bizportal.reports.opendata_urls")),
    path("", include("bizportal.catalog.urls")),
    path("", include("bizportal.portal.urls")),
]

# Outside DRF's handler: problem+json for the API, a Thai/English page for people.
handler400 = "bizportal.core.errors.bad_request"
handler403 = "bizportal.core.errors.permission_denied"
handler404 = "bizportal.core.errors.page_not_found"
handler500 = "bizportal.core.errors.server_error"
