from django.urls import path

from . import views

app_name = "sandbox_bank"
urlpatterns = [
    path("", views.pay, name="pay"),
    path("transactions/<str:txn_id>/", views.transaction_detail, name="transaction"),
    path("transactions/<str:txn_id>/resend/", views.resend, name="resend"),
    path("refunds/", views.refund, name="refund"),
    path("statements/<str:day>/camt053.xml", views.statement, name="statement"),
    path("counter/", views.counter, name="counter"),
    path("billpay/<str:day>.txt", views.billpay_file, name="billpay-file"),
]
