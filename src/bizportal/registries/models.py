"""The sandbox registries' own tables: a DOPA-like civil registry and a DBD-like
juristic-person registry. The portal reads them only over HTTP (see ``client.py``),
as it would read the real registries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bizportal.core.models import PersonalDataLabel

ADDRESS_FIELDS = ("house_no", "moo", "street", "subdistrict", "district", "province", "postcode")


class AddressFields(models.Model):
    """A Thai address as the registries print it."""

    house_no = models.CharField(max_length=40)
    moo = models.CharField(max_length=10, blank=True)
    street = models.CharField(max_length=200, blank=True)
    subdistrict = models.CharField(max_length=100, help_text="ตำบล/แขวง")
    district = models.CharField(max_length=100, help_text="อำเภอ/เขต")
    province = models.CharField(max_length=100)
    postcode = models.CharField(max_length=5)

    class Meta:
        abstract = True

    def address(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


class SandboxPerson(AddressFields):
    """A person in the sandbox civil registry."""

    PERSONAL_DATA = {
        "citizen_id": PersonalDataLabel.PERSONAL,
        "first_name_th": PersonalDataLabel.PERSONAL,
        "last_name_th": PersonalDataLabel.PERSONAL,
        "first_name_en": PersonalDataLabel.PERSONAL,
        "last_name_en": PersonalDataLabel.PERSONAL,
        "birth_date": PersonalDataLabel.PERSONAL,
        "address": PersonalDataLabel.PERSONAL,
    }

    citizen_id = models.CharField(max_length=13, unique=True)
    title_th = models.CharField(max_length=30)
    first_name_th = models.CharField(max_length=100)
    last_name_th = models.CharField(max_length=100)
    title_en = models.CharField(max_length=30, blank=True)
    first_name_en = models.CharField(max_length=100, blank=True)
    last_name_en = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sandbox civil-registry person"
        constraints = [
            models.CheckConstraint(
                condition=Q(citizen_id__regex=r"^[0-9]{13}$"),
                name="sandbox_person_citizen_id_13_digits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title_th}{self.first_name_th} {self.last_name_th}"

    def as_json(self) -> dict[str, object]:
        return {
            "citizen_id": self.citizen_id,
            "title_th": self.title_th,
            "first_name_th": self.first_name_th,
            "last_name_th": self.last_name_th,
            "title_en": self.title_en,
            "first_name_en": self.first_name_en,
            "last_name_en": self.last_name_en,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address(),
        }


class SandboxJuristicPerson(AddressFields):
    """A company in the sandbox juristic-person registry (registered address inherited)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "ยังดำเนินกิจการอยู่ / Active"
        DISSOLVED = "dissolved", "เลิก / Dissolved"

    juristic_id = models.CharField(max_length=13, unique=True)
    name_th = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    juristic_type = models.CharField(max_length=100, default="บริษัทจำกัด / Company limited")
    registration_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    director_citizen_ids = models.JSONField(
        default=list, help_text="13-digit citizen IDs of directors"
    )
    signing_rule = models.CharField(
        max_length=3,
        choices=[
            ("any", "กรรมการคนใดคนหนึ่งลงนาม / Any one director signs"),
            ("two", "กรรมการสองคนลงนามร่วมกัน / Two directors sign jointly"),
        ],
        default="any",
        help_text="the signing authority registered for the company",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sandbox juristic person"
        constraints = [
            models.CheckConstraint(
                condition=Q(juristic_id__regex=r"^[0-9]{13}$"), name="sandbox_juristic_id_13_digits"
            )
        ]

    def __str__(self) -> str:
        return self.name_th

    def as_json(self) -> dict[str, object]:
        return {
            "juristic_id": self.juristic_id,
            "name_th": self.name_th,
            "name_en": self.name_en,
            "juristic_type": self.juristic_type,
            "registration_date": self.registration_date.isoformat(),
            "status": self.status,
            "registered_address": self.address(),
            "director_citizen_ids": list(self.director_citizen_ids),
            "signing_rule": self.signing_rule,
        }
