from django.urls import path

from . import views

app_name = "sandbox_messaging"
urlpatterns = [
    path("sms/", views.sms_page, name="sms"),
    path("sms/v1/messages", views.sms_send, name="sms-send"),
    path("line/", views.line_page, name="line"),
    path("line/v2/bot/message/push", views.line_push, name="line-push"),
    path("line/login", views.line_login, name="line-login"),
    path("<slug:gateway>/outage/", views.outage, name="outage"),
]
