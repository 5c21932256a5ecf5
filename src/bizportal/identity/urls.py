from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("callback/", views.callback, name="callback"),
    path("logout/", views.logout, name="logout"),
    path("step-up/", views.step_up, name="step-up"),
    path("refresh/", views.refresh, name="refresh"),
]
