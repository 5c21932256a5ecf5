"""The sandbox provider's endpoints, mounted once per flavour: Digital ID at
``/sandbox/idp/`` (namespace ``sandbox_idp``) and ThaID at ``/sandbox/thaid/``
(``sandbox_thaid``, see :mod:`.urls_thaid`)."""

from typing import Any

from django.urls import URLPattern, path

from . import views
from .flavours import flavoured


def patterns(flavour: str) -> list[URLPattern]:
    """The OIDC endpoints, each answering as ``flavour`` (503 while it is stopped)."""

    def route(url: str, view: Any, name: str) -> URLPattern:
        return path(url, flavoured(flavour, view), name=name)

    return [
        route(".well-known/openid-configuration", views.discovery, "discovery"),
        route("authorize", views.authorize, "authorize"),
        route("token", views.token, "token"),
        route("userinfo", views.userinfo, "userinfo"),
        route("jwks", views.jwks, "jwks"),
        route("end-session", views.end_session, "end_session"),
        route("sign-out", views.sign_out, "sign_out"),
    ]


app_name = "sandbox_idp"
urlpatterns = patterns("digital_id")
