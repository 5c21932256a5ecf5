"""Applications for a service, their documents and their status history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from bizportal.core.models import PersonalDataLabel


class Status(models.TextChoices):
    DRAFT = "draft", "ฉบับร่าง / Draft"
    SUBMITTED = "submitted", "ยื่นคำขอแล้ว รอพิจารณา / Submitted, under review"
    CORRECTION = "correction", "ขอให้แก้ไขเพิ่มเติม / Correction requested"
    INSPECTION = "inspection", "รอตรวจสถานที่ / Awaiting premises inspection"
    APPROVED = "approved", "อนุมัติแล้ว รอชำระค่าธรรมเนียม / Approved, awaiting payment"
    REJECTED = "rejected", "ไม่อนุมัติ / Rejected"
    PAID = "paid", "ชำระค่าธรรมเนียมแล้ว / Fee paid"
    ISSUED = "issued", "ออกใบอนุญาตแล้ว / Licence issued"


class Application(models.Model):
    PERSONAL_DATA = {"data": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=30, unique=True, null=True, blank=True)
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="applications"
    )
    agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="owning agency, copied from the service: worklists filter one indexed column",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    data = models.JSONField(default=dict, blank=True)
    prefill = models.JSONField(
        default=dict, blank=True, help_text="values taken from Digital ID and registries"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    correction_note = models.TextField(blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status", "submitted_at", "id"], name="worklist_idx"),
            models.Index(fields=["applicant", "-created_at", "id"], name="my_applications_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(reference__isnull=False, submitted_at__isnull=False),
                name="submitted_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(terms_accepted_at__isnull=False),
                name="submitted_accepted_terms",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft {self.public_id}"


class Attachment(models.Model):
    PERSONAL_DATA = {"file": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    document_code = models.SlugField(max_length=60)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document_code", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "document_code"], name="one_file_per_document"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class StatusChange(models.Model):
    """The history the applicant and the officer both see: who changed what, when, why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"
