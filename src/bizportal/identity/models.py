"""People who use the portal: entrepreneurs (signed in through Digital ID) and staff."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from bizportal.core.models import PersonalDataLabel


class User(AbstractUser):
    """A portal account.

    Entrepreneurs are keyed by their validated 13-digit citizen ID and have no
    password here: they prove who they are at Digital ID. Officers belong to exactly
    one agency and see only its applications.
    """

    class Role(models.TextChoices):
        APPLICANT = "applicant", "ผู้ประกอบการ / Entrepreneur"
        OFFICER = "officer", "เจ้าหน้าที่ / Agency officer"
        ADMIN = "admin", "ผู้ดูแลระบบ / System admin"

    PERSONAL_DATA = {
        "citizen_id": PersonalDataLabel.PERSONAL,
        "full_name_th": PersonalDataLabel.PERSONAL,
        "full_name_en": PersonalDataLabel.PERSONAL,
        "email": PersonalDataLabel.PERSONAL,
        "phone": PersonalDataLabel.PERSONAL,
        "address": PersonalDataLabel.PERSONAL,
        "birth_date": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.APPLICANT)
    citizen_id = models.CharField(max_length=13, unique=True, null=True, blank=True)
    full_name_th = models.CharField(max_length=200, blank=True)
    full_name_en = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    address = models.JSONField(default=dict, blank=True, help_text="from the civil registry")
    agency = models.ForeignKey(
        "catalog.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    identity_assurance = models.CharField(
        max_length=8, blank=True, help_text="IAL of the last Digital ID sign-in, e.g. 2.1"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="officer") | Q(agency__isnull=False),
                name="officer_has_agency",
            ),
            models.CheckConstraint(
                condition=Q(citizen_id__isnull=True) | Q(citizen_id__regex=r"^[0-9]{13}$"),
                name="citizen_id_13_digits",
            ),
        ]

    @property
    def is_officer(self) -> bool:
        return self.role == self.Role.OFFICER

    @property
    def display_name(self) -> str:
        return self.full_name_th or self.full_name_en or self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name
