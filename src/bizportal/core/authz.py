"""One question for every guarded action: may this actor do this to this object?

Why one place: views, the API and services must give the same answer, and a rule
that lives in a template condition or a queryset filter is a rule nobody can test.
Each app registers the permissions over its objects in its ``rules.py`` (predicates
from django-rules, composed with ``&``, ``|``, ``~``) and asks here::

    authz.require(request.user, "applications.decide", application)

Unregistered permissions are refused, so a missing rule fails closed. Django's own
``user.has_perm`` is deliberately not used for these: it says yes to every superuser,
and a platform administrator must not be able to decide an agency's application.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

import rules

RULES = rules.RuleSet()


def register(permission: str, predicate: Any) -> None:
    """Define (or redefine, in tests) ``permission`` as ``predicate(user, obj)``."""
    RULES.set_rule(permission, predicate)


def allowed(user: Any, permission: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``permission`` to ``obj``; False for unknown permissions."""
    if not RULES.rule_exists(permission):
        return False
    return bool(RULES.test_rule(permission, user, obj))


def require(user: Any, permission: str, obj: Any = None, *, hide: bool = True) -> None:
    """Refuse unless allowed: 404 by default, so nobody learns that the object exists;
    403 (``hide=False``) where the object is known to the person anyway."""
    if not allowed(user, permission, obj):
        if hide:
            raise Http404("not found")
        raise PermissionDenied(permission)


def permissions() -> list[str]:
    """Every registered permission (for documentation and the authorisation tests)."""
    return sorted(RULES)
