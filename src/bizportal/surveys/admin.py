"""Administrators design each service's survey here, as they edit message templates.

A version is edited while it is a draft (its questions inline); publishing and "new
draft" are actions that go through :mod:`.services`, which audit them and refuse what
is wrong. A published version shows read-only: to change it, make a new draft (a copy
of its questions), edit and publish that. A non-superuser sees only the services of
their own agency.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Service
from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin, ReadOnlyAdmin, own_agency_id

from . import services
from .models import Invitation, Question, Survey, SurveyVersion

CHOICES_HELP = _("One choice a line: code | Thai text | English text")


class ChoicesField(forms.Field):
    """Choices edited as lines "code | ไทย | English", stored as a list of objects."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 50})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(f"{c['code']} | {c['th']} | {c['en']}" for c in value)
        return value

    def to_python(self, value: Any) -> list[dict[str, str]]:
        choices = []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3 or not all(parts):
                raise forms.ValidationError(
                    gettext("line %(number)s: write code | Thai | English") % {"number": number}
                )
            choices.append({"code": parts[0][:40], "th": parts[1], "en": parts[2]})
        return choices


class QuestionForm(forms.ModelForm):
    choices = ChoicesField(required=False, help_text=CHOICES_HELP)

    class Meta:
        model = Question
        fields = ["position", "code", "kind", "text_th", "text_en", "required", "choices"]
        fields += ["max_length"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and data.get("kind"):
            probe = Question(
                code=data.get("code") or "?", kind=data["kind"], choices=data.get("choices") or []
            )
            problems = services.question_problems(probe)
            if problems:
                raise forms.ValidationError(problems)
        return data


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    extra = 0
    ordering = ("position", "id")

    def _editable(self, obj: SurveyVersion | None) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


def _scoped(request: HttpRequest, queryset: QuerySet[Any], path: str) -> QuerySet[Any]:
    agency_id = own_agency_id(request)
    return queryset if agency_id is None else queryset.filter(**{path: agency_id})


class VersionLinks(admin.TabularInline):
    model = SurveyVersion
    fields = ("number", "status", "created_at", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """A survey is made for a service; its questions are edited in its draft version."""

    list_display = ("service", "agency", "created_at")
    list_select_related = ("service__agency",)
    search_fields = ("service__slug", "service__name_th", "service__name_en")
    inlines = [VersionLinks]
    fields = ("service",)

    @admin.display(description=_("Agency"))
    def agency(self, obj: Survey) -> str:
        return str(obj.service.agency.name_th)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return _scoped(request, super().get_queryset(request), "service__agency_id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("service",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "service":
            kwargs["queryset"] = _scoped(
                request, Service.objects.filter(survey__isnull=True), "agency_id"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # answers point to its versions

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        if change:
            return
        # Creating the survey creates its first draft (audited by the service).
        with transaction.atomic():
            draft = services.draft_for(form.cleaned_data["service"], actor=request.user)
        obj.pk = draft.survey_id
        obj.refresh_from_db()

    def response_add(self, request: HttpRequest, obj: Survey, post_url_continue: Any = None) -> Any:
        draft = obj.versions.get(status=SurveyVersion.Status.DRAFT)
        return HttpResponseRedirect(reverse("admin:surveys_surveyversion_change", args=[draft.pk]))


@admin.register(SurveyVersion)
class SurveyVersionAdmin(admin.ModelAdmin):
    list_display = ("survey", "number", "status", "created_at", "published_at")
    list_filter = ("status",)
    list_select_related = ("survey__service",)
    search_fields = ("survey__service__slug", "survey__service__name_th")
    inlines = [QuestionInline]
    fields = ("survey", "number", "status", "intro_th", "intro_en", "published_at")
    actions = ["publish", "new_draft"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyVersion]:
        return _scoped(request, super().get_queryset(request), "survey__service__agency_id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ("survey", "number", "status", "published_at")
        return fixed if obj is not None and obj.is_draft else self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version comes from "new draft" (a copy) or a new survey

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.is_draft and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: SurveyVersion, form: Any, change: bool) -> None:
        services.require_draft(SurveyVersion.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        version = form.instance
        audit.record(
            "surveys.draft_saved",
            version,
            actor=request.user,
            service=version.survey.service.slug,
            number=version.number,
            questions=list(version.questions.values_list("code", flat=True)),
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            version = self.get_object(request, object_id)
            try:
                if version is not None:
                    services.require_draft(version)
            except services.SurveyRefusal as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
                return HttpResponseRedirect(request.path)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Publish the selected draft"))
    def publish(self, request: HttpRequest, queryset: QuerySet[SurveyVersion]) -> None:
        for version in queryset.order_by("survey", "number"):
            try:
                published = services.publish(version, actor=request.user)
            except services.SurveyRefusal as refusal:
                self.message_user(request, f"{version}: {refusal}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Version %(number)s is live") % {"number": published.number},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Make a new draft to edit"))
    def new_draft(self, request: HttpRequest, queryset: QuerySet[SurveyVersion]) -> Any:
        drafts = [
            services.draft_for(survey.service, actor=request.user)
            for survey in Survey.objects.filter(versions__in=queryset).distinct()
        ]
        if len(drafts) == 1:
            url = reverse("admin:surveys_surveyversion_change", args=[drafts[0].pk])
            return HttpResponseRedirect(url)
        self.message_user(request, f"{len(drafts)} draft(s) ready", messages.SUCCESS)
        return None


@admin.register(Invitation)
class InvitationAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Who was invited (an account or an email address) and whether they answered."""

    list_display = ("created_at", "trigger", "survey", "answered_at")
    list_filter = ("trigger",)
    list_select_related = ("survey__service",)
    readonly_fields = ("survey", "trigger", "application", "complaint", "user", "email")
    fields = (*readonly_fields, "created_at", "answered_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        return _scoped(request, super().get_queryset(request), "agency_id")
