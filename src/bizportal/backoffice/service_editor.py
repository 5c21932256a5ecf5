"""The service editor: an agency's administrators edit the citizen manual of their
services as a draft, a supervisor or another administrator reviews and publishes it,
and every version stays in the history.

The states, the checks and who may do what are the catalogue's
(:mod:`bizportal.catalog.services`, :mod:`bizportal.catalog.rules`); these pages
turn a form into content and back. A service of another agency is "not found". The
pages that show revisions name their authors and reviewers (staff members), so their
reads are audited like the other staff pages.

How lists are edited without JavaScript: each list (laws, steps, fee lines,
documents) is a table of rows with three empty rows below; a row whose cells are all
emptied is removed on saving, and the "order" column puts rows in another order.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from bizportal.catalog import editor
from bizportal.catalog import services as catalog
from bizportal.catalog.models import Category, Service, ServiceRevision
from bizportal.core import audit, authz

from .views import staff_only

editor_page = staff_only("catalog.use_editor")
State = ServiceRevision.State
PAGE_SIZE = 50
HISTORY_SIZE = 30
EMPTY_ROWS = 3
MAX_NOTE = 2000
BAD_CURSOR = gettext_lazy("The page cursor is not valid")


def _service(request: HttpRequest, public_id: Any) -> Service:
    """The service, if the member of staff may see its revisions; else 404."""
    service = Service.objects.select_related("agency").filter(public_id=public_id).first()
    authz.require(request.user, "catalog.view_revisions", service)
    assert service is not None
    return service


# --- the list ------------------------------------------------------------------------


@dataclass
class ServicePage:
    items: list[Service]
    next_cursor: str


def _services(request: HttpRequest) -> QuerySet[Service]:
    user: Any = request.user
    if authz.allowed(user, "catalog.all_agencies"):
        services = Service.objects.all()
    else:
        services = Service.objects.filter(agency_id=user.agency_id)
    if request.GET.get("waiting") == "1":
        in_review = ServiceRevision.objects.filter(state=State.IN_REVIEW)
        services = services.filter(pk__in=in_review.values("service_id"))
    open_revision = ServiceRevision.objects.filter(
        service=OuterRef("pk"), state__in=ServiceRevision.OPEN_STATES
    )
    return (
        services.select_related("agency")
        .only(
            "public_id",
            "slug",
            "name_th",
            "name_en",
            "is_published",
            "updated_at",
            "agency__code",
            "agency__name_th",
            "agency__name_en",
        )
        .annotate(
            open_state=Subquery(open_revision.values("state")[:1]),
            open_number=Subquery(open_revision.values("number")[:1]),
        )
        .order_by("name_th", "id")
    )


def _page(services: QuerySet[Service], cursor: str) -> ServicePage:
    """Keyset pages on (name_th, id): the agency's index answers every page alike."""
    after = _decode(cursor)
    if after is not None:
        name, pk = after
        services = services.filter(name_th__gte=name).filter(
            Q(name_th__gt=name) | Q(name_th=name, id__gt=pk)
        )
    items = list(services[: PAGE_SIZE + 1])
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    return ServicePage(items, _encode(items[-1]) if more else "")


def _encode(service: Service) -> str:
    return base64.urlsafe_b64encode(json.dumps([service.name_th, service.pk]).encode()).decode()


def _decode(cursor: str) -> tuple[str, int] | None:
    if not cursor:
        return None
    try:
        if len(cursor) > 1200:
            raise ValueError("too long")
        name, pk = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if not isinstance(name, str) or "\x00" in name or not isinstance(pk, int):
            raise ValueError("wrong shape")
        if not 0 < pk < 2**63:
            raise ValueError("id out of range")
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ValueError(BAD_CURSOR) from None
    return name, pk


@editor_page
def service_list(request: HttpRequest) -> HttpResponse:
    """``/backoffice/services/``: the agency's services (every agency's for platform
    administrators) with the state of each one's open revision."""
    status = 200
    services = _services(request)
    try:
        page = _page(services, request.GET.get("after", ""))
    except ValueError:
        messages.error(request, BAD_CURSOR)
        page, status = _page(services, ""), 400
    user = request.user
    for service in page.items:
        service.may_edit = authz.allowed(user, "catalog.edit_service", service)  # type: ignore[attr-defined]
        service.may_review = authz.allowed(user, "catalog.review_service", service)  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/services.html",
        {
            "page": page,
            "waiting": request.GET.get("waiting") == "1",
            "all_agencies": authz.allowed(user, "catalog.all_agencies"),
        },
        status=status,
    )


# --- the editor ------------------------------------------------------------------------


@dataclass
class FormField:
    """One field of the editor page: its value as posted or stored, and its errors."""

    spec: editor.Field
    value: Any
    errors: list[str]
    choices: list[tuple[str, str]] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[dict[str, Any]]] = field(default_factory=list)


#: The columns of the list fields: the heading and the input type.
COLUMNS = {
    "th": (gettext_lazy("Thai text"), "text"),
    "en": (gettext_lazy("English text"), "text"),
    "url": (gettext_lazy("Link (https://)"), "url"),
    "days": (gettext_lazy("Working days"), "number"),
    "unit_th": (gettext_lazy("Time unit (Thai, if not days)"), "text"),
    "unit_en": (gettext_lazy("Time unit (English)"), "text"),
    "amount": (gettext_lazy("Amount (THB; blank: varies)"), "text"),
    "code": (gettext_lazy("Code (blank for a new one)"), "text"),
    "name_th": (gettext_lazy("Name (Thai)"), "text"),
    "name_en": (gettext_lazy("Name (English)"), "text"),
    "note_th": (gettext_lazy("Note (Thai)"), "text"),
    "note_en": (gettext_lazy("Note (English)"), "text"),
    "required": (gettext_lazy("Required"), "checkbox"),
    "originals": (gettext_lazy("Originals"), "number"),
    "copies": (gettext_lazy("Copies"), "number"),
}


def _category_choices() -> dict[str, list[tuple[str, str]]]:
    rows = Category.objects.filter(
        kind__in=[Category.Kind.LIFECYCLE, Category.Kind.TARGET_GROUP]
    ).values_list("kind", "code", "name_th", "name_en")
    choices: dict[str, list[tuple[str, str]]] = {"lifecycle": [], "target_group": []}
    for kind, code, name_th, name_en in rows:
        choices[kind].append((f"{kind}:{code}", f"{name_th} / {name_en}"))
    return choices


def _choices(name: str) -> list[tuple[str, str]]:
    if name == "channel":
        return [
            (c, str(label)) for c, label in Service.Channel.choices if c in editor.EDITABLE_CHANNELS
        ]
    if name == "service_kind":
        return [(c, str(label)) for c, label in Service.ServiceKind.choices]
    return []


def _sections(values: dict[str, Any], errors: editor.Errors) -> list[dict[str, Any]]:
    """The editor's sections with their fields, ready for the template."""
    sections = []
    for key, title_th, title_en in editor.SECTIONS:
        fields = []
        for spec in editor.FIELDS:
            if spec.section != key:
                continue
            value = values.get(spec.name)
            entry = FormField(spec, value, errors.get(spec.name, []), _choices(spec.name))
            if spec.widget == "rows":
                _rows_of(entry, value)
            fields.append(entry)
        sections.append({"key": key, "title_th": title_th, "title_en": title_en, "fields": fields})
    return sections


def _rows_of(entry: FormField, value: Any) -> None:
    """The cells of a list field: its rows, then :data:`EMPTY_ROWS` empty ones."""
    keys = editor.ROW_KEYS[entry.spec.name]
    entry.columns = [(key, str(COLUMNS[key][0])) for key in keys]
    blank = {"required": True} if "required" in keys else {}
    rows = [row if isinstance(row, dict) else {} for row in (value or [])]
    for row in [*rows, *[blank] * EMPTY_ROWS]:
        entry.rows.append(
            [{"key": key, "value": _cell(row.get(key)), "type": COLUMNS[key][1]} for key in keys]
        )


def _cell(value: Any) -> Any:
    return "" if value is None else value


def content_from_post(post: QueryDict) -> dict[str, Any]:
    """The posted form as the content :func:`catalog.save_draft` checks (numbers still
    text; empty rows left for the check to drop)."""
    raw: dict[str, Any] = {name: post.get(name, "") for name in editor.SCALAR_FIELDS}
    for name, keys in editor.ROW_KEYS.items():
        raw[name] = _posted_rows(post, name, keys)
    industries = re.split(r"[\s,;]+", post.get("industries", "").strip())
    raw["categories"] = [
        *post.getlist("categories"),
        *[f"industry:{code.upper()}" for code in industries if code],
    ]
    return raw


def _posted_rows(post: QueryDict, name: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    index = 0
    while f"{name}-{index}-{keys[0]}" in post and index <= editor.MAX_ROWS + EMPTY_ROWS:
        row: dict[str, Any] = {key: post.get(f"{name}-{index}-{key}", "") for key in keys}
        if "required" in keys:
            row["required"] = f"{name}-{index}-required" in post
        order = post.get(f"{name}-{index}-order", "").strip()
        rows.append((_order(order, index), index, row))
        index += 1
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _order(text: str, index: int) -> float:
    try:
        return float(text) if text else float(index + 1)
    except ValueError:
        return float(index + 1)


@editor_page
@audit.audited_read("catalog.service_editor_viewed", "catalog.service")
def service_editor(request: HttpRequest, public_id: Any) -> HttpResponse:
    """``/backoffice/services/<id>/``: the open draft as a form (save, or save and
    send for review), the revision in review read-only, or a button to start one."""
    service = _service(request, public_id)
    revision = catalog.open_revision(service)
    errors: editor.Errors = {}
    values = revision.content if revision is not None else {}
    status = 200
    if request.method == "POST":
        authz.require(request.user, "catalog.edit_service", service)
        if revision is None or request.POST.get("revision") != str(revision.public_id):
            messages.error(
                request,
                _("This draft was sent for review, discarded or replaced meanwhile; please check"),
            )
            return redirect("backoffice:service-editor", public_id=public_id)
        raw = content_from_post(request.POST)
        try:
            catalog.save_draft(revision, request.user, raw)
            if request.POST.get("action") == "submit":
                catalog.submit_revision(revision, request.user)
                messages.success(request, pgettext("done", "Sent for review"))
            else:
                messages.success(request, _("Draft saved"))
            return redirect("backoffice:service-editor", public_id=public_id)
        except editor.DraftInvalid as error:
            errors, values, status = error.errors, raw, 400
        except catalog.RevisionRefused as error:
            messages.error(request, str(error))
            return redirect("backoffice:service-editor", public_id=public_id)
    categories = list(values.get("categories", []))
    return render(
        request,
        "backoffice/service_editor.html",
        {
            "service": service,
            "revision": revision,
            "may_edit": authz.allowed(request.user, "catalog.edit_service", service),
            "sections": _sections(values, errors) if values else [],
            "errors": errors,
            "category_choices": _category_choices(),
            "chosen": set(categories),
            "industries": ", ".join(
                c.split(":", 1)[1] for c in categories if c.startswith("industry:")
            ),
            "industry_names": [
                name
                for code, name in sorted(editor.category_names({"categories": categories}).items())
                if code.startswith("industry:")
            ],
        },
        status=status,
    )


# --- review and history ----------------------------------------------------------------


@editor_page
@audit.audited_read("catalog.service_review_viewed", "catalog.service")
def service_review(request: HttpRequest, public_id: Any) -> HttpResponse:
    """``/backoffice/services/<id>/review/``: the revision in review against the live
    service, field by field, with the approve and reject buttons for its reviewers."""
    service = _service(request, public_id)
    revision = (
        ServiceRevision.objects.filter(service=service, state=State.IN_REVIEW)
        .select_related("author", "service")
        .first()
    )
    context: dict[str, Any] = {"service": service, "revision": revision}
    if revision is not None:
        live = editor.snapshot(service)
        names = editor.category_names(live, revision.content)
        context.update(
            changes=editor.diff(live, revision.content, names),
            changed_meanwhile=editor.diff(revision.base, live, names),
            may_decide=authz.allowed(request.user, "catalog.decide_revision", revision),
            is_author=revision.author_id == request.user.pk,
        )
    return render(request, "backoffice/service_review.html", context)


@editor_page
@audit.audited_read("catalog.service_history_viewed", "catalog.service")
def service_history(request: HttpRequest, public_id: Any) -> HttpResponse:
    """``/backoffice/services/<id>/history/``: every revision, newest first, pages of
    :data:`HISTORY_SIZE`; each published one with what it changed from the one
    published before it (or, for the first, from the service as it was)."""
    service = _service(request, public_id)
    revisions = ServiceRevision.objects.filter(service=service).select_related("author", "reviewer")
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 10:
        revisions = revisions.filter(number__lt=int(before))
    page = list(revisions.order_by("-number")[: HISTORY_SIZE + 1])
    older = page[HISTORY_SIZE - 1].number if len(page) > HISTORY_SIZE else None
    page = page[:HISTORY_SIZE]
    _published_changes(service, page)
    return render(
        request,
        "backoffice/service_history.html",
        {"service": service, "revisions": page, "older": older},
    )


def _published_changes(service: Service, page: list[ServiceRevision]) -> None:
    """Set ``changes`` on each published revision of ``page`` (two queries at most)."""
    for revision in page:
        revision.changes = None  # type: ignore[attr-defined]
    published = [r for r in reversed(page) if r.state in ServiceRevision.PUBLISHED_STATES]
    if not published:
        return
    previous = (
        ServiceRevision.objects.filter(
            service=service,
            state__in=ServiceRevision.PUBLISHED_STATES,
            number__lt=published[0].number,
        )
        .order_by("-number")
        .values_list("content", flat=True)
        .first()
    )
    names = editor.category_names(*(r.content for r in published), *(r.base for r in published))
    for revision in published:
        before = previous if previous is not None else revision.base
        revision.changes = editor.diff(before, revision.content, names)  # type: ignore[attr-defined]
        previous = revision.content


# --- the buttons -------------------------------------------------------------------------


@editor_page
@require_POST
def service_transition(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Start a draft, or move the named revision on: submit, withdraw, discard,
    approve or reject (with a note)."""
    service = _service(request, public_id)
    action = request.POST.get("action", "")
    user = request.user
    if action == "start":
        catalog.start_draft(service, user)
        return redirect("backoffice:service-editor", public_id=public_id)
    revision = _posted_revision(service, request.POST.get("revision", ""))
    note = request.POST.get("note", "").strip()
    transitions = {
        "submit": lambda r: catalog.submit_revision(r, user),
        "withdraw": lambda r: catalog.withdraw_revision(r, user),
        "discard": lambda r: catalog.discard_draft(r, user),
        "approve": lambda r: catalog.approve_revision(r, user, note),
        "reject": lambda r: catalog.reject_revision(r, user, note),
    }
    if revision is None or action not in transitions:
        messages.error(request, _("The revision was not found"))
        return redirect("backoffice:service-editor", public_id=public_id)
    if len(note) > MAX_NOTE:
        messages.error(request, _("The note may be at most 2,000 characters"))
        return redirect("backoffice:service-review", public_id=public_id)
    try:
        transitions[action](revision)
    except (catalog.RevisionRefused, editor.DraftInvalid) as error:
        messages.error(request, str(error))
        page = "service-review" if action in ("approve", "reject") else "service-editor"
        return redirect(f"backoffice:{page}", public_id=public_id)
    messages.success(request, DONE[action])
    page = "service-history" if action in ("approve", "reject") else "service-editor"
    return redirect(f"backoffice:{page}", public_id=public_id)


DONE = {
    "submit": pgettext_lazy("done", "Sent for review"),
    "withdraw": gettext_lazy("Taken back to edit"),
    "discard": gettext_lazy("Draft discarded"),
    "approve": gettext_lazy("Approved and published"),
    "reject": gettext_lazy("Sent back to the author"),
}


def _posted_revision(service: Service, public_id: str) -> ServiceRevision | None:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    return ServiceRevision.objects.filter(service=service, public_id=key).first()
