from django.urls import path

from . import chat_views, views

app_name = "contact"
urlpatterns = [
    path("contact/", views.contact_page, name="contact"),
    path("contact/new/", views.new_case, name="new"),
    path("contact/cases/", views.my_cases, name="cases"),
    path("contact/cases/<uuid:public_id>/", views.case_detail, name="case"),
    path(
        "contact/cases/<uuid:public_id>/files/<uuid:message_id>/",
        views.case_file,
        name="case-file",
    ),
    path("contact/chat/", chat_views.start, name="chat"),
    path("contact/chat/message/", chat_views.to_enquiry, name="chat-enquiry"),
    path("contact/chat/<uuid:public_id>/", chat_views.session_page, name="chat-session"),
    path("backoffice/chat/", chat_views.desk, name="chat-desk"),
    path("backoffice/chat/<uuid:public_id>/", chat_views.staff_session, name="staff-chat"),
    path("contact/follow/<uuid:public_id>/<str:key>/", views.follow, name="follow"),
    path(
        "contact/follow/<uuid:public_id>/<str:key>/files/<uuid:message_id>/",
        views.follow_file,
        name="follow-file",
    ),
    path(
        "applications/<uuid:public_id>/messages/",
        views.application_message,
        name="application-message",
    ),
    path(
        "applications/<uuid:public_id>/messages/<uuid:message_id>/",
        views.application_file,
        name="application-file",
    ),
    path("backoffice/cases/", views.staff_cases, name="staff-cases"),
    path("backoffice/cases/new/", views.helpdesk_case, name="helpdesk-new"),
    path("backoffice/cases/<uuid:public_id>/", views.staff_case, name="staff-case"),
    path("backoffice/cases/<uuid:public_id>/act/", views.staff_case_act, name="staff-case-act"),
    path(
        "backoffice/cases/<uuid:public_id>/files/<uuid:message_id>/",
        views.staff_case_file,
        name="staff-case-file",
    ),
    path("backoffice/contact-log/", views.contact_log, name="log"),
    path(
        "backoffice/applications/<uuid:public_id>/messages/",
        views.officer_application_message,
        name="officer-application-message",
    ),
    path(
        "backoffice/applications/<uuid:public_id>/messages/<uuid:message_id>/",
        views.officer_application_file,
        name="officer-application-file",
    ),
]
