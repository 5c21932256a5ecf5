"""How a service's applications reach the agency that decides them.

Each service is decided in the portal's back office (the default), in the agency's own
system online, or in the agency's system by a daily batch. The setting is versioned
like the rest of a service's definition: a change makes a new version and keeps the old
ones, so what was forwarded under which mapping can always be told afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from bizportal.catalog.models import Service
from bizportal.exchange.models import AgencySystem


class Mode(models.TextChoices):
    BACKOFFICE = "backoffice", "พิจารณาในระบบหลังบ้านของพอร์ทัล / decided in the portal's back office"
    ONLINE = "online", "ส่งต่อระบบของหน่วยงานทันที / forwarded online to the agency's system"
    BATCH = "batch", "ส่งต่อเป็นชุดรายวัน / forwarded to the agency's system in a daily batch"


class IntegrationVersion(models.Model):
    """One version of a service's integration with its agency's system.

    ``field_mapping`` maps each field of the agency's schema to a JMESPath expression
    over the application package (``answers``, ``holder``, ``application``, ...), e.g.
    ``{"shop_name": "answers.business_name", "owner_id": "holder.id"}``; every expression
    is compiled when saved. ``documents`` lists the codes of the documents that travel."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BACKOFFICE)
    agency_system = models.ForeignKey(
        AgencySystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the agency's system that receives the applications and calls back",
    )
    endpoint_url = models.URLField(blank=True, help_text="where online forwarding POSTs")
    field_mapping = models.JSONField(default=dict, blank=True)
    documents = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, help_text="what changed in this version")
    is_current = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "version"], name="integration_version_unique"
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(is_current=True),
                name="one_current_integration_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.version} ({self.mode})"
