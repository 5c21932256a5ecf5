"""Public verification pages, the holder's downloads, and the published documents of
licence credentials (mounted at the site root)."""

from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify_number, name="verify-number"),
    path("verify/<str:number>/<int:version>/", views.verify_number, name="verify-version"),
    path("licences/<uuid:public_id>/pdf/", views.download_pdf, name="pdf"),
    path("licences/<uuid:public_id>/v<int:version>/pdf/", views.download_pdf, name="version-pdf"),
    path("licences/<uuid:public_id>/credential/", views.download_credential, name="credential"),
    path(
        "licences/<uuid:public_id>/v<int:version>/credential/",
        views.download_credential,
        name="version-credential",
    ),
    # Published documents the licence data names: stable URLs, never moved or changed
    # in meaning (a new meaning is a v2 beside them).
    path("credentials/licence/v1", views.credential_context, name="credential-context"),
    path(
        "credentials/licence/v1/licence.schema.json",
        views.payload_schema,
        name="payload-schema",
    ),
]
