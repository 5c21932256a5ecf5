"""Administrators edit message templates (validated, with a preview) and read the
delivery log (read-only, audited: it holds addresses and message texts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin, ReadOnlyAdmin

from . import templating
from .models import Delivery, MessageTemplate, Notification


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["key", "audience", "channel", "language", "subject", "body", "urgent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                templating.check(data["key"], data["channel"], data["subject"], data["body"])
            except templating.TemplateProblem as problem:
                raise forms.ValidationError(str(problem)) from None
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["key", "audience", "channel", "language", "urgent", "updated_at"]
    list_filter = ["channel", "audience", "language", "urgent"]
    search_fields = ["key", "subject"]
    readonly_fields = ["preview"]

    @admin.display(description=_("Preview with sample data"))
    def preview(self, obj: MessageTemplate) -> str:
        if obj is None or not obj.pk:
            return "—"
        try:
            rendered = templating.check(obj.key, obj.channel, obj.subject, obj.body)
        except templating.TemplateProblem as problem:
            return format_html('<p class="errornote">{}</p>', str(problem))
        return format_html(
            '<p><strong>{}</strong></p><pre style="white-space:pre-wrap">{}</pre>',
            rendered.subject,
            rendered.body,
        )

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "notifications.template_saved",
            obj,
            actor=request.user,
            key=obj.key,
            channel=obj.channel,
            language=obj.language,
        )


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "status", "attempts", "next_attempt_at", "provider_id", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    list_display = ["created_at", "key", "audience", "application_reference"]
    list_filter = ["key", "audience", "kind"]
    search_fields = ["application_reference"]
    inlines = [DeliveryInline]
