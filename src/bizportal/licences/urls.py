"""Public verification pages and the holder's download (mounted at the site root)."""

from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify_number, name="verify-number"),
    path("licences/<uuid:public_id>/pdf/", views.download_pdf, name="pdf"),
]
