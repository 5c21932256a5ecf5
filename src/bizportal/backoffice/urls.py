from django.urls import path

from . import counter, exchange_log, licences, mfa, service_editor, staff, statistics, views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.OfficerLoginView.as_view(), name="login"),
    path("mfa/", mfa.second_factor, name="mfa"),
    path("", views.home, name="home"),
    path("worklist/", views.worklist, name="worklist"),
    path("counter/", counter.proof, name="counter"),
    path("counter/people/<uuid:public_id>/", counter.person, name="counter-person"),
    path(
        "counter/applications/<uuid:public_id>/print/",
        counter.printout,
        name="counter-printout",
    ),
    path("statistics/", statistics.overview, name="statistics"),
    path("exchange/", exchange_log.exchange_log, name="exchange-log"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/new/", staff.staff_new, name="staff-new"),
    path("staff/<uuid:public_id>/", staff.staff_edit, name="staff-edit"),
    path("services/", service_editor.service_list, name="services"),
    path("services/<uuid:public_id>/", service_editor.service_editor, name="service-editor"),
    path("services/<uuid:public_id>/review/", service_editor.service_review, name="service-review"),
    path(
        "services/<uuid:public_id>/history/",
        service_editor.service_history,
        name="service-history",
    ),
    path(
        "services/<uuid:public_id>/transition/",
        service_editor.service_transition,
        name="service-transition",
    ),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path("licences/<uuid:public_id>/", licences.licence_detail, name="licence"),
    path("licences/<uuid:public_id>/act/", licences.licence_act, name="licence-act"),
    path("applications/<uuid:public_id>/decide/", views.decide, name="decide"),
    path(
        "applications/<uuid:public_id>/documents/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
