from django.urls import path

from . import views

app_name = "sandbox_card"
urlpatterns = [
    path("checkout/", views.checkout, {"gateway": "card"}, name="checkout"),
    path("challenge/<str:charge_id>/", views.challenge, {"gateway": "card"}, name="challenge"),
    path("charges/<str:charge_id>/", views.charge_detail, {"gateway": "card"}, name="charge"),
    path("api/refunds/", views.refund, name="refund"),
]
