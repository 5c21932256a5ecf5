from django.urls import path

from . import views

app_name = "federation"
urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("oidc/jwks", views.jwks, name="jwks"),
    path("oidc/token", views.token, name="token"),
    path("oidc/authorize", views.authorize, name="authorize"),
    path("oidc/userinfo", views.userinfo, name="userinfo"),
    path("account/systems/", views.systems, name="systems"),
    path("account/systems/<uuid:public_id>/approve/", views.approve, name="approve"),
    path("account/systems/approvals/<uuid:public_id>/revoke/", views.revoke, name="revoke"),
    path("account/systems/vendor/", views.vendor_systems, name="vendor-systems"),
    path("account/systems/vendor/register/", views.register, name="register"),
    path("account/systems/vendor/<uuid:public_id>/keys/", views.rotate_keys, name="rotate-keys"),
    path("account/representatives/", views.representatives, name="representatives"),
    path(
        "account/representatives/<uuid:public_id>/revoke/",
        views.revoke_representative,
        name="representative-revoke",
    ),
]
