"""The OpenAPI schema promises problem+json for every error an operation can answer,
and the promise follows the views: public or not, body or not, rate-limited or not."""

from __future__ import annotations

import inspect

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:  # type: ignore[no-untyped-def]
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return yaml.safe_load(yaml.safe_dump(SchemaGenerator().get_schema(public=True)))


def operations(schema: dict):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_every_error_answer_of_every_operation_is_a_problem(schema: dict) -> None:
    for path, method, operation in operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
        # Only a public read without parameters (the questionnaire) has no error to give.
        takes_input = bool(operation.get("parameters")) or "requestBody" in operation
        private = operation.get("security") != [{}] and "security" in operation
        if takes_input or private:
            assert errors, f"{method} {path} documents no error answer"
        for code, response in errors.items():
            content = response.get("content", {})
            assert list(content) == ["application/problem+json"], f"{method} {path} {code}"
            assert content["application/problem+json"]["schema"]["$ref"] == PROBLEM_REF


def test_the_statuses_follow_what_the_operation_is(schema: dict) -> None:
    paths = schema["paths"]
    public_get = paths["/api/v1/catalog/services/{slug}/"]["get"]["responses"]
    assert set(public_get) == {"200", "404"}
    submit = paths["/api/v1/applications/{public_id}/submit/"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415"} <= set(submit)
    assert "429" not in submit
    create = paths["/api/v1/applications/"]["post"]["responses"]
    assert create["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    verify = paths["/api/v1/licences/verify/{number}/"]["get"]["responses"]
    assert "429" in verify and "401" not in verify and "403" not in verify
    # The view's own words on when, with the problem body.
    assert verify["404"]["description"] == "problem+json: unknown number"
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def api_views():  # type: ignore[no-untyped-def]
    def walk(patterns):  # type: ignore[no-untyped-def]
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and hasattr(entry.callback, "cls"):
                yield entry.callback.cls

    return set(walk(get_resolver().url_patterns))


def test_a_view_that_counts_a_rate_limit_says_so_for_the_schema() -> None:
    """A handler calling ``ratelimits.limit`` must list its method in
    ``rate_limited_methods``, or its 429 would go undocumented."""
    for view in api_views():
        for method in ("get", "post", "put", "patch", "delete"):
            handler = getattr(view, method, None)
            if handler is None or "ratelimits.limit(" not in inspect.getsource(handler):
                continue
            declared = getattr(view, "rate_limited_methods", ())
            assert method.upper() in declared, f"{view.__name__}.{method} is rate-limited"
