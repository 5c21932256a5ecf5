"""The holiday calendar's special days: added by platform admins as the cabinet
announces them; every change is audited and moves the open clocks it touches."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext

from . import services
from .models import SpecialDay


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name_th", "name_en", "announcement")
    list_filter = ("kind",)
    search_fields = ("name_th", "name_en", "announcement")
    date_hierarchy = "date"
    actions = ["delete_selected_days"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Django's bulk delete bypasses delete_model (and so the audit trail).
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def save_model(self, request: HttpRequest, obj: SpecialDay, form: Any, change: bool) -> None:
        previous = form.initial.get("date") if change else None
        services.save_special_day(obj, actor=request.user, previous_date=previous)

    def delete_model(self, request: HttpRequest, obj: SpecialDay) -> None:
        services.delete_special_day(obj, actor=request.user)

    @admin.action(description=gettext_lazy("Delete the selected days"), permissions=["delete"])
    def delete_selected_days(self, request: HttpRequest, queryset: QuerySet[SpecialDay]) -> None:
        count = 0
        for day in queryset:
            services.delete_special_day(day, actor=request.user)
            count += 1
        messages.success(
            request,
            ngettext("%(count)d day deleted", "%(count)d days deleted", count) % {"count": count},
        )
