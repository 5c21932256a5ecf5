from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("invoices/<uuid:public_id>/", views.invoice, name="invoice"),
    path("invoices/<uuid:public_id>/reissue/", views.reissue, name="invoice-reissue"),
    path("invoices/<uuid:public_id>/slip.pdf", views.invoice_slip, name="invoice-slip"),
    path("receipts/<uuid:public_id>/pdf/", views.receipt_pdf, name="receipt-pdf"),
    path("callback/<slug:provider>/", views.callback, name="callback"),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
    path(
        "receipts/verify/<str:number>/",
        views.receipt_verify_number,
        name="receipt-verify-number",
    ),
]
