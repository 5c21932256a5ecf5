"""The DPO's screens: notices (add-only versions) and data-subject requests to answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bizportal.core.admin import AuditedReadsAdmin

from . import services
from .models import DataSubjectRequest, PrivacyNotice


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "title_th", "effective_from", "requires_acceptance"]
    list_filter = ["purpose"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published version never changes: a new text is a new version.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.publish_notice(obj, actor=request.user)


class AnswerForm(forms.ModelForm):
    class Meta:
        model = DataSubjectRequest
        fields = ["status", "answer"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and not self.instance.is_open:
            raise ValidationError(_("This request is already answered"))
        return data


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(AuditedReadsAdmin):
    """Answering goes through :func:`services.answer_request` (audited; a deletion done
    erases what the law lets go)."""

    form = AnswerForm
    list_display = ["public_id", "kind", "user", "status", "created_at", "answered_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [
        "public_id",
        "user",
        "kind",
        "details",
        "retained",
        "created_at",
        "answered_at",
        "answered_by",
        "ropa_links",
    ]
    fields = [*readonly_fields, "status", "answer"]

    @admin.display(description="ROPA")
    def ropa_links(self, obj: Any) -> str:
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}">JSON</a>',
            reverse("privacy:ropa", args=["csv"]),
            reverse("privacy:ropa", args=["json"]),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        original = DataSubjectRequest.objects.get(pk=obj.pk)
        services.answer_request(original, actor=request.user, status=obj.status, answer=obj.answer)
