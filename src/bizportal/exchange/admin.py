"""Operators publish data services and record agencies' missions here. Consents and the
message log are not edited in the admin: consents change through the person's account
(and ``exchange.services``), the log only grows."""

from __future__ import annotations

from django.contrib import admin

from .models import DataService, MissionRule


@admin.register(DataService)
class DataServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_th", "provider", "version", "connector", "is_active")
    list_filter = ("is_active", "subject_kind", "provider")
    search_fields = ("code", "name_th", "name_en")


@admin.register(MissionRule)
class MissionRuleAdmin(admin.ModelAdmin):
    list_display = ("agency", "data_service", "service", "valid_from", "valid_until", "is_active")
    list_filter = ("is_active", "agency", "data_service")
    autocomplete_fields = ("service",)
