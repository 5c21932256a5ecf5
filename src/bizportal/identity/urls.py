from django.urls import path

from . import ndid_views, views

app_name = "identity"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/<slug:provider>/", views.login_with, name="login-with"),
    path("ndid/", ndid_views.start, name="ndid-start"),
    path("ndid/callback/", ndid_views.callback, name="ndid-callback"),
    path("ndid/<uuid:public_id>/", ndid_views.wait, name="ndid-wait"),
    path("callback/", views.callback, name="callback"),
    path("logout/", views.logout, name="logout"),
    path("step-up/", views.step_up, name="step-up"),
    path("refresh/", views.refresh, name="refresh"),
]
