"""Admin screens for processes: browse versions, upload a BPMN file, publish a draft.

Like the fee tables' screens (``rules/admin.py``): a version's source is never edited
in place, because applications run to the end on the version they started with. An
upload goes through :func:`.services.upload_version`, which checks the file in full
(schema, step types, options, gateway conditions, end outcomes) and saves a draft;
"publish" makes it live for new applications. Staff who belong to an agency (and are
not superusers) see and upload only their agency's processes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.catalog.models import Agency
from bizportal.core.admin import (
    DefinitionAdmin,
    DefinitionVersionAdmin,
    VersionInline,
    own_agency_id,
    read_definition_file,
)

from .errors import ProcessDefinitionError
from .models import ProcessDefinition, ProcessVersion
from .services import publish_version, upload_version

MAX_SOURCE_BYTES = 2 * 1024 * 1024


#: What the upload page says happens to the file (Thai, English).
UPLOAD_INTRO = (
    (
        "ไฟล์จะถูกตรวจสอบทั้งหมดและบันทึกเป็นฉบับร่าง "
        "คำขอใหม่จะใช้กระบวนงานนี้เมื่อเผยแพร่ฉบับร่างแล้วเท่านั้น "
        "คำขอที่ดำเนินการอยู่ใช้ฉบับเดิมจนจบ"
    ),
    (
        "The file is checked in full and saved as a draft; new applications use "
        "it only once the draft is published; applications in flight finish on "
        "their version."
    ),
)


class UploadForm(forms.Form):
    bpmn_file = forms.FileField(
        label=gettext_lazy("BPMN file"),
        help_text="a .bpmn file saved from Camunda Modeler or bpmn.io; its process id names it",
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(),
        required=False,
        label=gettext_lazy("Owning agency"),
        help_text="blank for a platform process; used only when the process is new",
    )

    def __init__(self, *args: Any, choose_agency: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not choose_agency:
            del self.fields["agency"]

    def clean_bpmn_file(self) -> bytes:
        return read_definition_file(self.cleaned_data["bpmn_file"], MAX_SOURCE_BYTES)


class ProcessVersionInline(VersionInline):
    model = ProcessVersion


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(DefinitionAdmin):
    upload_permission = "workflow.add_processversion"
    version_model = ProcessVersion
    inlines = [ProcessVersionInline]
    change_list_template = "admin/workflow/processdefinition/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("upload/", upload, name="workflow_processdefinition_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """A BPMN file becomes a draft version; if refused, every reason is shown on the
        form and nothing is saved."""
        if not self.has_upload_permission(request):
            raise Http404
        agency_id = own_agency_id(request)
        form = UploadForm(
            request.POST or None, request.FILES or None, choose_agency=agency_id is None
        )
        if request.method == "POST" and form.is_valid():
            try:
                version = upload_version(
                    form.cleaned_data["bpmn_file"],
                    actor=request.user,
                    agency=self.upload_agency(form, agency_id),
                )
            except ProcessDefinitionError as error:
                form.add_error("bpmn_file", error.message)
            else:
                return self.uploaded(request, version.definition.key, version)
        return self.upload_page(request, form, _("Upload a process"), UPLOAD_INTRO)


@admin.register(ProcessVersion)
class ProcessVersionAdmin(DefinitionVersionAdmin):
    publish_service = publish_version
    refusal = ProcessDefinitionError
    publish_permission = "workflow.change_processversion"
    fields = (
        "definition",
        "number",
        "status",
        "sha256",
        "steps_display",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
        "source_display",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Steps"))
    def steps_display(self, obj: ProcessVersion) -> str:
        steps = (obj.summary or {}).get("steps", [])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    step.get("id"),
                    step.get("name"),
                    step.get("type"),
                    ", ".join(c[0] for f in step.get("fields", []) for c in f.get("choices", [])),
                )
                for step in steps
            ),
        )
        return format_html(
            "<table><tr><th>id</th><th>name</th><th>type</th><th>decisions</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="BPMN")
    def source_display(self, obj: ProcessVersion) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.source)
