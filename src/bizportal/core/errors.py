"""Error answers for everything outside DRF's own handler: a URL that matches nothing,
a CSRF failure, a PermissionDenied or an unhandled exception in a plain Django view.

API clients and machine endpoints get RFC 9457 problem+json (the schema promises it
for every operation, see :mod:`bizportal.core.openapi`); people get a page in their language
in the portal's layout (``400.html``, ``403.html``, ``403_csrf.html``, ``404.html``) with a
way back, and a self-contained ``500.html`` that needs no context at all. Wired as
``handler400/403/404/500`` in the root URL conf and as ``CSRF_FAILURE_VIEW``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _

from .problems import problem_response, wants_problem

TITLES: dict[int, Any] = {
    400: _("Bad request"),
    403: _("Forbidden"),
    404: _("Page not found"),
    500: _("Server error"),
}
MESSAGES: dict[int, Any] = {
    400: _("The request is not valid."),
    403: _("You may not open this page."),
    404: _("This page does not exist."),
    500: _("Something went wrong on our side; we have been told. Please try again."),
}
CSRF_MESSAGE = _(
    "The form has expired or was not sent from this site; reload the page and send it again."
)


def _answer(
    request: HttpRequest,
    status: int,
    message: Any,
    *,
    type_: str = "",
    template: str = "",
) -> HttpResponse:
    if wants_problem(request):
        return problem_response(status, str(message), type_=type_)
    context = _context(status, message)
    try:
        body = loader.get_template(template or f"{status}.html").render(context, request)
    except Exception:
        # The layout itself failed (database down under the menu): a page without it.
        body = loader.get_template("errors/plain.html").render(context)
    return HttpResponse(body, status=status)


def _context(status: int, message: Any) -> dict[str, Any]:
    """Title and message in the reader's language (the catalogues of ``core``)."""
    return {"status": status, "title": str(TITLES[status]), "message": str(message)}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 400, MESSAGES[400])


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    denied(request)
    return _answer(request, 403, MESSAGES[403])


def denied(request: HttpRequest) -> None:
    """A refused request is a security event (many in a row are someone probing)."""
    from . import security_events
    from .ratelimits import client_ip

    security_events.emit(
        "permission.denied",
        severity=4,
        actor=security_events.username_of(request),
        source_ip=client_ip(request),
        target=request.path[:200],
        method=request.method,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, MESSAGES[404])


def server_error(request: HttpRequest) -> HttpResponse:
    """No layout: the error may be in what the layout needs (database, session)."""
    if wants_problem(request):
        return problem_response(500, str(MESSAGES[500]), type_="server-error")
    body = loader.get_template("500.html").render()
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    return _answer(request, 403, CSRF_MESSAGE, type_="csrf", template="403_csrf.html")
