"""The advisor's questionnaire in the admin: conditions are checked as FEEL on save,
and prerequisites may not loop."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from bizportal.core.admin import AuditedReadsAdmin

from . import services
from .models import Bundle, Prerequisite, Question, Recommendation


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "code", "order", "kind", "text_th", "text_en", "help_th", "help_en", "options",
            "ask_when", "minimum", "maximum", "is_active",
        ]  # fmt: skip

    def clean_ask_when(self) -> str:
        value = str(self.cleaned_data.get("ask_when") or "")
        services.check_condition(value)
        return value


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["service", "when", "necessity", "reason_th", "reason_en", "order", "is_active"]

    def clean_when(self) -> str:
        value = str(self.cleaned_data.get("when") or "")
        services.check_condition(value)
        return value


class PrerequisiteForm(forms.ModelForm):
    class Meta:
        model = Prerequisite
        fields = ["before", "service", "note_th", "note_en"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("service") and data.get("before"):
            links = [
                (b, s)
                for b, s in Prerequisite.objects.exclude(pk=self.instance.pk).values_list(
                    "before_id", "service_id"
                )
            ]
            services.check_no_cycle([*links, (data["before"].pk, data["service"].pk)])
        return data


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ("code", "order", "kind", "text_th", "ask_when", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    form = RecommendationForm
    list_display = ("service", "when", "necessity", "order", "is_active")
    list_filter = ("necessity", "is_active")
    list_select_related = ("service",)
    autocomplete_fields = ("service",)


@admin.register(Prerequisite)
class PrerequisiteAdmin(admin.ModelAdmin):
    form = PrerequisiteForm
    list_display = ("before", "service")
    list_select_related = ("before", "service")
    autocomplete_fields = ("service", "before")


@admin.register(Bundle)
class BundleAdmin(AuditedReadsAdmin):
    """Bundles name their applicant and answers: reading them is audited."""

    list_display = ("public_id", "applicant", "created_at")
    readonly_fields = ("public_id", "applicant", "party", "answers", "created_at")

    def has_add_permission(self, request: Any) -> bool:
        return False
