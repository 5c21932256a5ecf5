"""Error answers for everything outside DRF's own handler: a URL that matches nothing,
a CSRF failure, a PermissionDenied or an unhandled exception in a plain Django view.

API clients and machine endpoints get RFC 9457 problem+json (the schema promises it
for every operation, see :mod:`bizportal.core.openapi`); people get a Thai/English page
in the portal's layout (``400.html``, ``403.html``, ``403_csrf.html``, ``404.html``) with a
way back, and a self-contained ``500.html`` that needs no context at all. Wired as
``handler400/403/404/500`` in the root URL conf and as ``CSRF_FAILURE_VIEW``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader

from .problems import problem_response, wants_problem

TITLES: dict[int, tuple[str, str]] = {
    400: ("คำขอไม่ถูกต้อง", "Bad request"),
    403: ("ไม่มีสิทธิ์", "Forbidden"),
    404: ("ไม่พบหน้านี้", "Page not found"),
    500: ("ระบบขัดข้อง", "Server error"),
}
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("คำขอไม่ถูกต้อง", "The request is not valid."),
    403: ("ท่านไม่มีสิทธิ์เข้าถึงหน้านี้", "You may not open this page."),
    404: ("ไม่พบหน้าที่ท่านต้องการ", "This page does not exist."),
    500: (
        "ระบบขัดข้องชั่วคราว เจ้าหน้าที่ได้รับแจ้งแล้ว กรุณาลองใหม่อีกครั้ง",
        "Something went wrong on our side; we have been told. Please try again.",
    ),
}
CSRF_MESSAGE = (
    "แบบฟอร์มหมดอายุหรือไม่ได้ส่งจากหน้านี้ กรุณาโหลดหน้าใหม่แล้วส่งอีกครั้ง",
    "The form has expired or was not sent from this site; reload the page and send it again.",
)


def _answer(
    request: HttpRequest,
    status: int,
    message: tuple[str, str],
    *,
    type_: str = "",
    template: str = "",
) -> HttpResponse:
    if wants_problem(request):
        return problem_response(status, " / ".join(message), type_=type_)
    context = _context(status, message)
    try:
        body = loader.get_template(template or f"{status}.html").render(context, request)
    except Exception:
        # The layout itself failed (database down under the menu): a page without it.
        body = loader.get_template("errors/plain.html").render(context)
    return HttpResponse(body, status=status)


def _context(status: int, message: tuple[str, str]) -> dict[str, Any]:
    title_th, title_en = TITLES[status]
    return {
        "status": status,
        "title_th": title_th,
        "title_en": title_en,
        "message_th": message[0],
        "message_en": message[1],
    }


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 400, MESSAGES[400])


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 403, MESSAGES[403])


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, MESSAGES[404])


def server_error(request: HttpRequest) -> HttpResponse:
    """No layout: the error may be in what the layout needs (database, session)."""
    if wants_problem(request):
        return problem_response(500, " / ".join(MESSAGES[500]), type_="server-error")
    body = loader.get_template("500.html").render()
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    return _answer(request, 403, CSRF_MESSAGE, type_="csrf", template="403_csrf.html")
