from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.notices, name="notices"),
    path("privacy/accept/", views.accept, name="accept"),
    path("privacy/<slug:purpose>/", views.notice, name="notice"),
    path("privacy/<slug:purpose>/v<int:version>/", views.notice, name="notice-version"),
    path("account/privacy/", views.rights, name="rights"),
    path("account/privacy/export.json", views.export_json, name="export-json"),
    path("account/privacy/export.pdf", views.export_pdf, name="export-pdf"),
    path("account/privacy/requests/", views.make_request, name="request"),
    path("account/privacy/accesses/", views.data_tracker, name="tracker"),
    path("account/privacy/accesses.csv", views.data_tracker_csv, name="tracker-csv"),
    path("account/privacy/accesses.pdf", views.data_tracker_pdf, name="tracker-pdf"),
    path(
        "account/privacy/consents/<uuid:public_id>/revoke/",
        views.revoke_consent,
        name="revoke-consent",
    ),
    path("account/privacy/objections/", views.objection, name="objection"),
    path("backoffice/privacy/ropa.<slug:fmt>", views.ropa_download, name="ropa"),
]
