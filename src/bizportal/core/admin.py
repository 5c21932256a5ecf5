from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import outbox
from .models import AuditEvent, DomainEvent, OutboxMessage


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "object_type", "object_id", "actor_label")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened are never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "name", "subject_type", "subject_id", "actor_label")
    list_filter = ("name",)
    search_fields = ("subject_id",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Where an operator sees a subscriber that keeps failing, and re-arms it once fixed."""

    list_display = ("created_at", "subscriber", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "subscriber")
    list_select_related = ("event",)
    readonly_fields = ("event", "subscriber", "status", "attempts", "last_error", "delivered_at")
    actions = ["retry"]

    @admin.action(description="Retry now / ส่งใหม่ทันที")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        ids = list(
            queryset.exclude(status=OutboxMessage.Status.DELIVERED).values_list("id", flat=True)
        )
        OutboxMessage.objects.filter(id__in=ids).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=outbox.now()
        )
        delivered = sum(outbox.deliver_one(message_id) for message_id in ids)
        self.message_user(request, f"{delivered} of {len(ids)} delivered")
