from django.urls import path

from . import views

app_name = "advisor"

urlpatterns = [
    path("", views.ask, name="ask"),
    path("result/", views.result, name="result"),
    path("reset/", views.reset, name="reset"),
    path("start/", views.start, name="start"),
    path("bundles/<uuid:public_id>/", views.bundle, name="bundle"),
]
