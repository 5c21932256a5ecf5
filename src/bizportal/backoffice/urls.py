from django.urls import path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.OfficerLoginView.as_view(), name="login"),
    path("", views.worklist, name="worklist"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path("applications/<uuid:public_id>/decide/", views.decide, name="decide"),
    path(
        "applications/<uuid:public_id>/documents/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
