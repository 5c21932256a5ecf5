"""Public verification pages and the holder's download (mounted at the site root)."""

from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify_number, name="verify-number"),
    path("verify/<str:number>/<int:version>/", views.verify_number, name="verify-version"),
    path("licences/<uuid:public_id>/pdf/", views.download_pdf, name="pdf"),
    path("licences/<uuid:public_id>/v<int:version>/pdf/", views.download_pdf, name="version-pdf"),
]
