from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


home = service_list = service_detail = start_application = account = _todo
application_detail = application_edit = attachment_download = _todo
