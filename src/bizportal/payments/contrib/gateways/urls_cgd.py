from django.urls import path

from . import views

app_name = "sandbox_cgd"
urlpatterns = [
    path("checkout/", views.checkout, {"gateway": "cgd"}, name="checkout"),
    path("challenge/<str:charge_id>/", views.challenge, {"gateway": "cgd"}, name="challenge"),
    path("payments/<str:charge_id>/", views.charge_detail, {"gateway": "cgd"}, name="charge"),
]
