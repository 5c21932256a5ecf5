from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import audit, authz, outbox
from .models import AuditCheckpoint, AuditEvent, DomainEvent, OutboxMessage


class AuditedReadsAdmin(admin.ModelAdmin):
    """Admin screens of records about people: opening the list or one record is a read
    of personal data, audited like the back office's pages (one event per request,
    with the page's ids and the admin's filter and search)."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            audit.saw(request, changelist.result_list)
            audit.record_read(
                request,
                f"admin.{self.opts.label_lower}.listed",
                via="admin",
                object_type=self.opts.label_lower,
                filters=None,
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit.record_read(
                request,
                f"admin.{self.opts.label_lower}.viewed",
                via="admin",
                object_type=self.opts.label_lower,
                object_id=str(object_id),
            )
        return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened are never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    list_display = ("seq", "at", "action", "object_type", "object_id", "actor_label")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "algorithm", "key_id")
    readonly_fields = [f.name for f in AuditCheckpoint._meta.fields]


@admin.register(DomainEvent)
class DomainEventAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    list_display = ("occurred_at", "name", "subject_type", "subject_id", "actor_label")
    list_filter = ("name",)
    search_fields = ("subject_id",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Where an operator sees a subscriber that keeps failing, and re-arms it once fixed."""

    list_display = ("created_at", "subscriber", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "subscriber")
    list_select_related = ("event",)
    readonly_fields = ("event", "subscriber", "status", "attempts", "last_error", "delivered_at")
    actions = ["retry"]

    @admin.action(description=_("Retry now"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        ids = list(
            queryset.exclude(status=OutboxMessage.Status.DELIVERED).values_list("id", flat=True)
        )
        OutboxMessage.objects.filter(id__in=ids).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=outbox.now()
        )
        delivered = sum(outbox.deliver_one(message_id) for message_id in ids)
        self.message_user(request, f"{delivered} of {len(ids)} delivered")


# --- versioned definitions (processes, fee tables) ---------------------------------


def own_agency_id(request: HttpRequest) -> int | None:
    """The agency a non-superuser works for; None means "sees every agency's"."""
    if getattr(request.user, "is_superuser", False):
        return None
    agency_id = getattr(request.user, "agency_id", None)
    return int(agency_id) if agency_id is not None else None


class AgencyScopedAdmin(admin.ModelAdmin):
    """An admin screen that an agency's own staff holding ``agency_permission``
    (``core.authz``; e.g. agency IT) may also use, on their agency's rows only.

    Why here and not with group permission rows: the role is a rule like every other,
    and the queryset filter is what keeps another agency's row out of every list, form
    and action at once (a change form for it is "not found"). Superusers keep Django's
    own permissions and every agency's rows. ``agency_path`` is the lookup from the row
    to its agency's id; ``agency_may_edit`` False leaves the screen read-only for them.
    """

    agency_permission: ClassVar[str] = ""
    agency_path: ClassVar[str] = "agency"
    agency_may_edit: ClassVar[bool] = True
    #: Foreign keys whose choices agency staff see limited to their agency's: field
    #: name → lookup from the chosen row to its agency's id.
    agency_choices: ClassVar[dict[str, str]] = {}

    def is_agency_staff(self, request: HttpRequest) -> bool:
        return not getattr(request.user, "is_superuser", False) and authz.allowed(
            request.user, self.agency_permission
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if getattr(request.user, "is_superuser", False):
            return queryset
        agency_id = own_agency_id(request)
        if agency_id is None or not self.is_agency_staff(request):
            return queryset.none()
        return queryset.filter(**{self.agency_path: agency_id})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self.is_agency_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self.is_agency_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        mine = self.agency_may_edit and self.is_agency_staff(request)
        return super().has_add_permission(request, *args) or mine

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        mine = self.agency_may_edit and self.is_agency_staff(request)
        return super().has_change_permission(request, obj) or mine

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        lookup = self.agency_choices.get(db_field.name)
        if lookup and self.is_agency_staff(request):
            related = db_field.remote_field.model._default_manager
            kwargs["queryset"] = related.filter(**{lookup: own_agency_id(request)})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_autocomplete_fields(self, request: HttpRequest) -> Any:
        """Agency staff choose from their own agency's rows in a plain select (the
        autocomplete would search screens they may not open)."""
        if self.is_agency_staff(request):
            return ()
        return super().get_autocomplete_fields(request)


class VersionInline(admin.TabularInline):
    """A definition's versions, newest first, read-only (they change only by upload and
    publish)."""

    fields = ("number", "status", "sha256", "created_at", "created_by", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def read_definition_file(upload: Any, max_bytes: int) -> bytes:
    """The uploaded definition file's bytes, refused (a form error) beyond ``max_bytes``."""
    if upload.size > max_bytes:
        raise forms.ValidationError(
            _("The file is larger than %(limit)s bytes") % {"limit": max_bytes}
        )
    return bytes(upload.read())


class DefinitionAdmin(ReadOnlyAdmin):
    """The list of a kind of definition with its live version, scoped to the user's agency.

    No add, change or delete: a definition comes into being by uploading its first
    version, through the owning app's service, which checks the file in full.
    """

    version_model: ClassVar[Any]
    upload_permission: ClassVar[str]
    list_display = ("key", "name", "agency", "live_version", "created_at")
    list_filter = ("agency",)
    search_fields = ("key", "name")
    readonly_fields = ("key", "name", "agency", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        live = self.version_model.objects.filter(
            definition=OuterRef("pk"), status=self.version_model.Status.LIVE
        ).values("number")[:1]
        queryset = (
            super()
            .get_queryset(request)
            .select_related("agency")
            .annotate(live_number=Subquery(live))
        )
        agency_id = own_agency_id(request)
        return queryset if agency_id is None else queryset.filter(agency_id=agency_id)

    @admin.display(description=_("Live version"), ordering="live_number")
    def live_version(self, obj: Any) -> str:
        number = getattr(obj, "live_number", None)
        return f"v{number}" if number is not None else "-"

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(self.upload_permission))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, context)

    # The upload page both kinds share: the owning app's view validates the form and
    # calls its own upload service; these say where the version goes and what follows.

    def upload_agency(self, form: forms.Form, agency_id: int | None) -> Any:
        """The agency a new version belongs to: the uploader's own, or the one chosen."""
        if agency_id is not None:
            agency_model = self.model._meta.get_field("agency").related_model
            return agency_model._default_manager.get(pk=agency_id)
        return form.cleaned_data.get("agency")

    def uploaded(self, request: HttpRequest, key: str, version: Any) -> HttpResponse:
        """A draft was saved: say so and open it (publishing is a separate step)."""
        self.message_user(
            request,
            _("Saved %(key)s version %(number)s as a draft; publish it to use it")
            % {"key": key, "number": version.number},
            messages.SUCCESS,
        )
        meta = self.version_model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[version.pk])
        )

    def upload_page(
        self,
        request: HttpRequest,
        form: forms.Form,
        title: str,
        intro: Any,
        **extra: Any,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "intro": _intro(intro),
            **extra,
        }
        return render(request, "admin/upload_definition.html", context)


def _intro(intro: Any) -> str:
    """The upload page's introduction in the reader's language: a translated string, or
    (until every caller passes one) a (Thai, English) pair."""
    if isinstance(intro, tuple):
        return str(intro[0] if (get_language() or "th").startswith("th") else intro[1])
    return str(intro)


class DefinitionVersionAdmin(ReadOnlyAdmin):
    """Versions of a kind of definition: read-only, with a "publish" action that goes
    through the owning app's service (``publish``) and shows its refusals."""

    publish_service: ClassVar[Callable[..., Any]]
    refusal: ClassVar[type[Exception]]
    publish_permission: ClassVar[str]
    list_display = ("definition", "number", "status", "created_at", "created_by", "published_at")
    list_filter = ("status", "definition__agency")
    list_select_related = ("definition", "created_by")
    search_fields = ("definition__key", "sha256")
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        agency_id = own_agency_id(request)
        return queryset if agency_id is None else queryset.filter(definition__agency_id=agency_id)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(self.publish_permission))

    @admin.action(description=_("Publish the selected draft"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for version in queryset.select_related("definition").order_by("definition", "number"):
            try:
                published = type(self).publish_service(version, actor=request.user)
            except self.refusal as error:
                self.message_user(request, f"{version}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(key)s version %(number)s is live")
                    % {"key": published.definition.key, "number": published.number},
                    messages.SUCCESS,
                )
