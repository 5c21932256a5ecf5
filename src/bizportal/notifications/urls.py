from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("account/inbox/", views.inbox, name="inbox"),
    path("account/inbox/read/", views.inbox_read, name="inbox-read"),
    path("account/contact/", views.contact, name="contact"),
    path("account/contact/change/", views.contact_change, name="contact-change"),
    path("account/contact/verify/<uuid:public_id>/", views.contact_verify, name="contact-verify"),
    path("account/contact/line/", views.line_link, name="line-link"),
    path("account/contact/line/callback/", views.line_callback, name="line-callback"),
    path("account/contact/line/unlink/", views.line_unlink, name="line-unlink"),
    path("notifications/callbacks/sms/", views.sms_receipt, name="sms-receipt"),
]
