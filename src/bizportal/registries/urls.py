from django.urls import path

from . import views

app_name = "registries"
urlpatterns = [
    path("civil/persons/<str:citizen_id>", views.person, name="person"),
    path("juristic/", views.juristic_search, name="juristic_search"),
    path("juristic/<str:juristic_id>", views.juristic_person, name="juristic_person"),
    path("revenue/taxpayers/<str:taxpayer_id>", views.revenue_taxpayer, name="revenue_taxpayer"),
    path("diw/owners/<str:owner_id>/licences", views.diw_licences, name="diw_licences"),
]
