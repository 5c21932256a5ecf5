from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse


class OfficerLoginView(LoginView):
    pass


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


worklist = application_detail = decide = attachment_download = _todo
