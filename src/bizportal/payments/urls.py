from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("invoices/<uuid:public_id>/", views.invoice, name="invoice"),
    path("receipts/<uuid:public_id>/pdf/", views.receipt_pdf, name="receipt-pdf"),
    path("callback/<slug:provider>/", views.callback, name="callback"),
]
