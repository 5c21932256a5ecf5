"""Digital ID sign-in (OIDC relying party). Being built: see identity helper."""

from django.http import HttpRequest, HttpResponse


def login(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def callback(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def logout(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
