"""The sandbox registries' own tables: a DOPA-like civil registry, a DBD-like
juristic-person registry, a Revenue Department taxpayer registry and a DIW factory
licence registry. The portal reads them only over HTTP (see ``client.py``),
as it would read the real registries."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
        ACTIVE = "active", _("Active")
        DISSOLVED = "dissolved", _("Dissolved")

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
            ("any", _("Any one director signs")),
            ("two", _("Two directors sign jointly")),
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


class SandboxTaxpayer(models.Model):
    """A taxpayer in the sandbox Revenue Department registry (กรมสรรพากร): a company
    by its juristic number or a person by their citizen ID, the two 13-digit numbers
    Thai tax law uses as the taxpayer identification number."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CEASED = "ceased", _("Ceased")

    PERSONAL_DATA = {
        "taxpayer_id": PersonalDataLabel.PERSONAL,
        "name_th": PersonalDataLabel.PERSONAL,
    }

    taxpayer_id = models.CharField(max_length=13, unique=True)
    name_th = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    vat_registered = models.BooleanField(default=False)
    vat_registration_number = models.CharField(
        max_length=13, blank=True, help_text="เลขทะเบียนภาษีมูลค่าเพิ่ม (since 2012 the TIN itself)"
    )
    vat_registered_since = models.DateField(null=True, blank=True)
    branch_code = models.CharField(
        max_length=5, default="00000", help_text="รหัสสาขา: 00000 is the head office"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sandbox Revenue Department taxpayer"
        constraints = [
            models.CheckConstraint(
                condition=Q(taxpayer_id__regex=r"^[0-9]{13}$"), name="sandbox_taxpayer_id_13_digits"
            ),
            models.CheckConstraint(
                condition=Q(branch_code__regex=r"^[0-9]{5}$"),
                name="sandbox_taxpayer_branch_5_digits",
            ),
            # A VAT registration has a number and a date; no registration has neither.
            models.CheckConstraint(
                condition=(
                    Q(
                        vat_registered=True,
                        vat_registration_number__regex=r"^[0-9]{13}$",
                        vat_registered_since__isnull=False,
                    )
                    | Q(
                        vat_registered=False,
                        vat_registration_number="",
                        vat_registered_since__isnull=True,
                    )
                ),
                name="sandbox_taxpayer_vat_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.taxpayer_id} {self.name_th}"

    def as_json(self) -> dict[str, object]:
        since = self.vat_registered_since
        return {
            "taxpayer_id": self.taxpayer_id,
            "name_th": self.name_th,
            "taxpayer_status": self.status,
            "vat": {
                "registered": self.vat_registered,
                "registration_number": self.vat_registration_number,
                "registered_since": since.isoformat() if since else None,
            },
            "branch_code": self.branch_code,
        }


class SandboxFactoryLicence(AddressFields):
    """A factory licence (ใบอนุญาตประกอบกิจการโรงงาน, ร.ง.4) in the sandbox registry
    of the Department of Industrial Works; the factory's address is inherited.

    ``expires_on`` is empty for licences without a term: the Factory Act amendment of
    2019 (พ.ร.บ.โรงงาน (ฉบับที่ 2) พ.ศ. 2562) ended the five-year term, so only older
    licences carry an expiry date."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    PERSONAL_DATA = {"owner_id": PersonalDataLabel.PERSONAL}

    licence_number = models.CharField(max_length=40, unique=True, help_text="e.g. 3-2(1)-1/60ชม")
    owner_id = models.CharField(
        max_length=13, db_index=True, help_text="the licensee's juristic number or citizen ID"
    )
    factory_name = models.CharField(max_length=300)
    factory_type_code = models.CharField(
        max_length=20, help_text="ลำดับที่ in the ministerial regulation's list, e.g. 2(1)"
    )
    factory_type_th = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VALID)
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sandbox DIW factory licence"
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_id__regex=r"^[0-9]{13}$"), name="sandbox_factory_owner_13_digits"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("issued_on")),
                name="sandbox_factory_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_number} {self.factory_name}"

    def current_status(self, today: dt.date) -> str:
        """The status as of ``today``: a licence past its expiry date is expired even
        if nobody has marked it so."""
        if self.status == self.Status.VALID and self.expires_on and self.expires_on < today:
            return self.Status.EXPIRED
        return str(self.status)

    def as_json(self, today: dt.date) -> dict[str, object]:
        return {
            "licence_number": self.licence_number,
            "factory_name": self.factory_name,
            "factory_type": {"code": self.factory_type_code, "name_th": self.factory_type_th},
            "status": self.current_status(today),
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "factory_address": self.address(),
        }
