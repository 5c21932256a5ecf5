from django.urls import path

from . import mandate_verify, parties, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/", views.service_list, name="services"),
    path("browse/", views.browse, name="browse"),
    path("browse/<slug:kind>/<str:code>/", views.browse_category, name="browse-category"),
    path("services/<slug:slug>/", views.service_detail, name="service"),
    path("services/<slug:slug>/apply/", views.start_application, name="apply"),
    path("account/", views.account, name="account"),
    path("account/acting/", parties.choose, name="acting"),
    path("account/acting/refresh/", parties.refresh_companies, name="acting-refresh"),
    path("account/mandates/", parties.mandates, name="mandates"),
    path("account/mandates/<uuid:public_id>/", parties.mandate_detail, name="mandate"),
    path("account/mandates/<uuid:public_id>/pdf/", parties.mandate_pdf, name="mandate-pdf"),
    path(
        "account/mandates/<uuid:public_id>/<slug:answer>/",
        parties.mandate_answer,
        name="mandate-answer",
    ),
    # Public, like licence verification: the QR code on a written mandate leads here.
    path("mandates/verify/", mandate_verify.verify, name="mandate-verify"),
    path(
        "mandates/verify/<uuid:reference>/",
        mandate_verify.verify_reference,
        name="mandate-verify-reference",
    ),
    path(
        "account/licences/<uuid:public_id>/<slug:kind>/",
        views.start_change,
        name="licence-change",
    ),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path("applications/<uuid:public_id>/edit/", views.application_edit, name="application-edit"),
    path("applications/<uuid:public_id>/check/", views.application_check, name="application-check"),
    path(
        "applications/<uuid:public_id>/submitted/",
        views.application_submitted,
        name="application-submitted",
    ),
    path("applications/<uuid:public_id>/sign/", views.application_sign, name="application-sign"),
    path(
        "applications/<uuid:public_id>/delete/",
        views.application_discard,
        name="application-discard",
    ),
    path(
        "applications/<uuid:public_id>/documents/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
