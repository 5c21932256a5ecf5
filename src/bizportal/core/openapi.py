"""The OpenAPI schema documents every error an operation can answer, as problem+json.

A client (and schemathesis in CI) reads from the schema which statuses to expect and
their body: each operation lists the RFC 9457 problems that apply to it, derived from
what the view is, so a new endpoint is documented without anyone remembering to:

* 400 when it takes a body or query parameters (validation, bounded JSON, bad cursor);
* 401 and 403 unless it is public (session ended or a stronger sign-in needed; no
  permission), and 403 on an unsafe method of a session-authenticated view (CSRF);
* 404 when it names an object in its path, or is only for some users;
* 409 on a state change by a signed-in user (the object's state does not allow it);
* 413 and 415 when it takes a body (too large; a media type it does not parse);
* 429 with ``Retry-After`` when the view counts a business rate limit for the method
  (``rate_limited_methods`` on the view, see :mod:`bizportal.core.ratelimits`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from .problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; titles and details are Thai / English.",
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "What kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "For validation problems: the messages of each failing field.",
            "additionalProperties": True,
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

WHY: dict[int, str] = {
    400: "The input is not valid; `errors` names the fields.",
    401: "Not signed in, the session has ended, or a stronger sign-in is needed.",
    403: "Not allowed for this user, or the CSRF token of a browser session is missing.",
    404: "No such object, or not one this user may see.",
    409: "The object's current state does not allow this.",
    413: "The request body is larger than allowed.",
    415: "The request body's media type is not accepted.",
    429: "Too many requests from this client; retry after `Retry-After` seconds.",
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the problem+json answers of each operation."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # Errors a view documents in its own words (a 422, a 503) are problems too.
        described = {
            int(code)
            for code, answer in responses.items()
            if code.isdigit() and int(code) >= 400 and "content" not in answer
        }
        for status in sorted(self.problem_statuses() | described):
            documented = responses.get(str(status))
            problem = self._problem_response(status)
            if documented is None:
                responses[str(status)] = problem
            elif "content" not in documented:
                # The view's own words on when (``OpenApiResponse(description=...)``) with
                # the body and headers every problem has.
                responses[str(status)] = {**problem, "description": documented["description"]}
        return responses

    def problem_statuses(self) -> set[int]:
        method = self.method.upper()
        public = self._is_public()
        takes_body = method in UNSAFE
        statuses: set[int] = set()
        if takes_body or self._has_query_parameters():
            statuses.add(400)
        if not public:
            statuses |= {401, 403, 404}
        if takes_body:
            statuses |= {413, 415}
            if self._uses_session():
                statuses.add(403)
            if not public:
                statuses.add(409)
        if "{" in self.path:
            statuses.add(404)
        if method in getattr(self.view, "rate_limited_methods", ()):
            statuses.add(429)
        return statuses

    def _is_public(self) -> bool:
        return all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _uses_session(self) -> bool:
        return any(isinstance(a, SessionAuthentication) for a in self.view.get_authenticators())

    def _has_query_parameters(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_parameters())

    def _problem_response(self, status: int) -> dict[str, Any]:
        component = ResolvedComponent(
            name="Problem",
            type=ResolvedComponent.SCHEMA,
            schema=PROBLEM_SCHEMA,
            object="bizportal.core.problems",
        )
        self.registry.register_on_missing(component)
        response: dict[str, Any] = {
            "description": WHY.get(status, ""),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": component.ref}},
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds until the limit's window ends.",
                }
            }
        return response
