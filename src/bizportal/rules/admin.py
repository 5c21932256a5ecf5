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
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
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

from . import engine
from .models import KEY_PATTERN, DecisionDefinition, DecisionVersion
from .services import FeeRuleError, publish_version, upload_version

#: What the upload page says happens to the file (Thai, English).
UPLOAD_INTRO = (
    ("ไฟล์จะถูกตรวจสอบทั้งหมดและบันทึกเป็นฉบับร่าง ค่าธรรมเนียมจะเปลี่ยนเมื่อเผยแพร่ฉบับร่างเท่านั้น"),
    (
        "The file is checked in full and saved as a draft; fees change only "
        "when the draft is published."
    ),
)


class UploadForm(forms.Form):
    key = forms.RegexField(
        regex=KEY_PATTERN,
        max_length=80,
        label=gettext_lazy("Table key"),
        help_text="the decision id inside the file, e.g. fee_food_shop",
        error_messages={"invalid": gettext_lazy("Use lower-case letters, digits and underscores")},
    )
    name = forms.CharField(
        max_length=200,
        required=False,
        label=gettext_lazy("Name"),
        help_text="optional; the decision's name in the file is used when blank",
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(),
        required=False,
        label=gettext_lazy("Owning agency"),
        help_text="blank for a platform table; used only when the table is new",
    )
    dmn_file = forms.FileField(
        label=gettext_lazy("DMN file"), help_text="a .dmn file saved from Camunda Modeler or dmn-js"
    )

    def __init__(self, *args: Any, key: str | None, choose_agency: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if key is not None:
            self.fields["key"].initial = key
            self.fields["key"].disabled = True
        if key is not None or not choose_agency:
            del self.fields["agency"]

    def clean_dmn_file(self) -> bytes:
        return read_definition_file(self.cleaned_data["dmn_file"], engine.MAX_SOURCE_BYTES)


class DecisionVersionInline(VersionInline):
    model = DecisionVersion


@admin.register(DecisionDefinition)
class DecisionDefinitionAdmin(DefinitionAdmin):
    upload_permission = "rules.add_decisionversion"
    version_model = DecisionVersion
    inlines = [DecisionVersionInline]
    change_list_template = "admin/rules/decisiondefinition/change_list.html"
    change_form_template = "admin/rules/decisiondefinition/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("upload/", upload, name="rules_decisiondefinition_upload"),
            path("<int:object_id>/upload/", upload, name="rules_decisiondefinition_upload_version"),
            *super().get_urls(),
        ]

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
        agency_id = own_agency_id(request)
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            key=definition.key if definition is not None else None,
            choose_agency=agency_id is None,
        )
        if request.method == "POST" and form.is_valid():
            key = definition.key if definition is not None else form.cleaned_data["key"]
            try:
                version = upload_version(
                    key,
                    form.cleaned_data["dmn_file"],
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    agency=self.upload_agency(form, agency_id),
                )
            except FeeRuleError as error:
                form.add_error("dmn_file", error.message)
            else:
                return self.uploaded(request, key, version)
        return self.upload_page(
            request,
            form,
            _("Upload a fee table"),
            UPLOAD_INTRO,
            definition=definition,
        )


@admin.register(DecisionVersion)
class DecisionVersionAdmin(DefinitionVersionAdmin):
    publish_service = publish_version
    refusal = FeeRuleError
    publish_permission = "rules.publish_decisionversion"
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

    @admin.display(description=gettext_lazy("Summary"))
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
