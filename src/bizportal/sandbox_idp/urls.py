from django.urls import path

from . import views

app_name = "sandbox_idp"
urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("authorize", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("jwks", views.jwks, name="jwks"),
    path("end-session", views.end_session, name="end_session"),
    path("sign-out", views.sign_out, name="sign_out"),
]
