"""Electronic licences: the signed PDF, its machine-readable payload and its status.

The licence row is the register the public verification page reads; the signed PDF is
what the holder shows. Both carry the same number, and the PDF embeds the payload as
``licence.json`` so a machine never has to read Thai text back out of the PDF.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from bizportal.core.models import PersonalDataLabel


def licence_upload_to(instance: Licence, filename: str) -> str:
    """Files are named by the unguessable public id, never by the licence number."""
    return f"licences/{instance.issued_at:%Y}/{instance.public_id}.pdf"


class Licence(models.Model):
    PERSONAL_DATA = {
        "holder_name": PersonalDataLabel.PERSONAL,
        "holder_id": PersonalDataLabel.PERSONAL,
        "payload": PersonalDataLabel.PERSONAL,
        "pdf": PersonalDataLabel.PERSONAL,
    }

    class Status(models.TextChoices):
        VALID = "valid", "ใช้ได้ / Valid"
        REVOKED = "revoked", "ถูกเพิกถอน / Revoked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=40, unique=True)
    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="licence"
    )
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="licences")
    holder_name = models.CharField(max_length=200)
    holder_id = models.CharField(max_length=13, blank=True, help_text="citizen ID of the holder")
    business_name = models.CharField(max_length=250, blank=True)
    title_th = models.CharField(max_length=250)
    title_en = models.CharField(max_length=250)
    permits_th = models.TextField()
    permits_en = models.TextField()
    issued_at = models.DateTimeField()
    valid_until = models.DateField(
        null=True, blank=True, help_text="last valid day; empty: no expiry"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    pdf = models.FileField(upload_to=licence_upload_to, max_length=200)
    pdf_sha256 = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="valid", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="licence_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number
