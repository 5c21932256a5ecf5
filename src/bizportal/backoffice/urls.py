from django.urls import path

from . import (
    counter,
    exchange_log,
    finance,
    licences,
    mfa,
    service_editor,
    staff,
    statistics,
    views,
)

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
    path("finance/refunds/", finance.refund_list, name="finance-refunds"),
    path("finance/refunds/<uuid:public_id>/", finance.refund_detail, name="finance-refund"),
    path(
        "finance/refunds/<uuid:public_id>/receipt.pdf",
        finance.refund_receipt,
        name="finance-refund-receipt",
    ),
    path("finance/invoices/<uuid:public_id>/", finance.invoice_refund, name="finance-invoice"),
    path("finance/statements/", finance.statement_list, name="finance-statements"),
    path("finance/payment-files/", finance.payment_files, name="finance-payment-files"),
    path(
        "finance/statements/<uuid:public_id>/",
        finance.statement_detail,
        name="finance-statement",
    ),
    path("finance/reports/", finance.report_page, name="finance-report"),
    path("finance/reports/finance.xlsx", finance.report_xlsx, name="finance-report-xlsx"),
    path("finance/reports/finance.pdf", finance.report_pdf, name="finance-report-pdf"),
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
