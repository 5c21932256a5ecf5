"""Admin screens for fee tables: browse versions, upload a DMN file, publish a draft.

Why no ordinary add/change forms: a version's source must never be edited in place
(an application quoted under it must be re-quotable), and every change goes through
:mod:`.services`, which checks the file and writes the audit trail. So the screens
are read-only except for the upload form and the "publish" action, both of which
call the services. Staff who belong to an agency (and are not superusers) see and
change only their agency's tables.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from bizportal.catalog.models import Agency

from . import engine
from .models import KEY_PATTERN, DecisionDefinition, DecisionVersion
from .services import FeeRuleError, publish_version, upload_version


def _own_agency_id(request: HttpRequest) -> int | None:
    """The agency a non-superuser works for; None means "sees every table"."""
    user = request.user
    if getattr(user, "is_superuser", False):
        return None
    agency_id = getattr(user, "agency_id", None)
    return int(agency_id) if agency_id is not None else None


class UploadForm(forms.Form):
    key = forms.RegexField(
        regex=KEY_PATTERN,
        max_length=80,
        label="รหัสตาราง / Table key",
        help_text="the decision id inside the file, e.g. fee_food_shop",
        error_messages={
            "invalid": "ใช้ตัวอักษรอังกฤษพิมพ์เล็ก ตัวเลข และ _ / "
            "Use lower-case letters, digits and underscores"
        },
    )
    name = forms.CharField(
        max_length=200,
        required=False,
        label="ชื่อตาราง / Name",
        help_text="optional; the decision's name in the file is used when blank",
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(),
        required=False,
        label="หน่วยงานเจ้าของ / Owning agency",
        help_text="blank for a platform table; used only when the table is new",
    )
    dmn_file = forms.FileField(
        label="ไฟล์ DMN / DMN file", help_text="a .dmn file saved from Camunda Modeler or dmn-js"
    )

    def __init__(self, *args: Any, key: str | None, choose_agency: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if key is not None:
            self.fields["key"].initial = key
            self.fields["key"].disabled = True
        if key is not None or not choose_agency:
            del self.fields["agency"]

    def clean_dmn_file(self) -> bytes:
        upload = self.cleaned_data["dmn_file"]
        if upload.size > engine.MAX_SOURCE_BYTES:
            raise forms.ValidationError(
                f"ไฟล์ใหญ่เกิน {engine.MAX_SOURCE_BYTES} ไบต์ / "
                f"The file is larger than {engine.MAX_SOURCE_BYTES} bytes"
            )
        return bytes(upload.read())


class DecisionVersionInline(admin.TabularInline):
    model = DecisionVersion
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


@admin.register(DecisionDefinition)
class DecisionDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "agency", "live_version", "created_at")
    list_filter = ("agency",)
    search_fields = ("key", "name")
    readonly_fields = ("key", "name", "agency", "created_at")
    inlines = [DecisionVersionInline]
    change_list_template = "admin/rules/decisiondefinition/change_list.html"
    change_form_template = "admin/rules/decisiondefinition/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DecisionDefinition]:
        live = DecisionVersion.objects.filter(
            definition=OuterRef("pk"), status=DecisionVersion.Status.LIVE
        ).values("number")[:1]
        queryset = (
            super()
            .get_queryset(request)
            .select_related("agency")
            .annotate(live_number=Subquery(live))
        )
        agency_id = _own_agency_id(request)
        return queryset if agency_id is None else queryset.filter(agency_id=agency_id)

    @admin.display(description="ฉบับที่ใช้งาน / Live version", ordering="live_number")
    def live_version(self, obj: DecisionDefinition) -> str:
        number = getattr(obj, "live_number", None)
        return f"v{number}" if number is not None else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tables are created by uploading one (see upload_view)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("rules.add_decisionversion"))

    def get_urls(self) -> list[URLPattern]:
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("upload/", upload, name="rules_decisiondefinition_upload"),
            path("<int:object_id>/upload/", upload, name="rules_decisiondefinition_upload_version"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().change_view(request, object_id, form_url, context)

    def upload_view(self, request: HttpRequest, object_id: int | None = None) -> HttpResponse:
        """A DMN file becomes a draft version through :func:`upload_version`; if it is
        refused, the reasons are shown on the form and nothing is saved."""
        if not self.has_upload_permission(request):
            raise Http404
        definition = None
        if object_id is not None:
            definition = self.get_queryset(request).filter(pk=object_id).first()
            if definition is None:
                raise Http404
        agency_id = _own_agency_id(request)
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            key=definition.key if definition is not None else None,
            choose_agency=agency_id is None,
        )
        if request.method == "POST" and form.is_valid():
            key = definition.key if definition is not None else form.cleaned_data["key"]
            if agency_id is not None:
                agency: Agency | None = Agency.objects.get(pk=agency_id)
            else:
                agency = form.cleaned_data.get("agency")
            try:
                version = upload_version(
                    key,
                    form.cleaned_data["dmn_file"],
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    agency=agency,
                )
            except FeeRuleError as error:
                form.add_error("dmn_file", error.message)
            else:
                self.message_user(
                    request,
                    f"บันทึก {key} ฉบับที่ {version.number} เป็นฉบับร่างแล้ว / "
                    f"Saved {key} version {version.number} as a draft; publish it to use it",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:rules_decisionversion_change", args=[version.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "อัปโหลดตารางค่าธรรมเนียม / Upload a fee table",
            "form": form,
            "definition": definition,
        }
        return render(request, "admin/rules/upload.html", context)


@admin.register(DecisionVersion)
class DecisionVersionAdmin(admin.ModelAdmin):
    list_display = ("definition", "number", "status", "created_at", "created_by", "published_at")
    list_filter = ("status", "definition__agency")
    list_select_related = ("definition", "created_by")
    search_fields = ("definition__key", "sha256")
    fields = (
        "definition",
        "number",
        "status",
        "sha256",
        "summary_display",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
        "source_display",
    )
    readonly_fields = fields
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DecisionVersion]:
        queryset = super().get_queryset(request)
        agency_id = _own_agency_id(request)
        return queryset if agency_id is None else queryset.filter(definition__agency_id=agency_id)

    @admin.display(description="สรุป / Summary")
    def summary_display(self, obj: DecisionVersion) -> str:
        summary = obj.summary or {}
        inputs = ", ".join(
            f"{column.get('expression')} ({column.get('type_ref')})"
            for column in summary.get("inputs", [])
        )
        policy = summary.get("hit_policy", "")
        if summary.get("aggregation"):
            policy += f" {summary['aggregation']}"
        outputs = ", ".join(str(column.get("name")) for column in summary.get("outputs", []))
        return format_html(
            "{} · inputs: {} · outputs: {} · {} rules",
            policy,
            inputs or "none",
            outputs,
            summary.get("rule_count", 0),
        )

    @admin.display(description="DMN")
    def source_display(self, obj: DecisionVersion) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.source)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions are uploaded from the fee table's page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("rules.publish_decisionversion"))

    @admin.action(
        description="เผยแพร่ฉบับที่เลือก / Publish the selected draft",
        permissions=["publish"],
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[DecisionVersion]) -> None:
        for version in queryset.select_related("definition").order_by("definition", "number"):
            try:
                published = publish_version(version, actor=request.user)
            except FeeRuleError as error:
                self.message_user(request, f"{version}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{published.definition.key} ฉบับที่ {published.number} ใช้งานแล้ว / "
                    f"{published.definition.key} version {published.number} is live",
                    messages.SUCCESS,
                )
