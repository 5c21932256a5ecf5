"""The advisor's questionnaire and rules, kept as data, and the bundles started from it.

Questions, recommendation rules and "obtain this first" orderings are rows an
administrator edits (and ``advisor/fixtures/questionnaire.json`` ships); their
conditions are FEEL expressions over the answers given so far, checked when saved and
evaluated by :mod:`bizportal.rules.feel`, the same engine as the fee tables.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Question(models.Model):
    """One question; asked only when ``ask_when`` holds for the answers so far."""

    class Kind(models.TextChoices):
        CHOICE = "choice", _("One of a list")
        YES_NO = "yes_no", _("Yes or no")
        NUMBER = "number", _("A number")

    code = models.SlugField(
        max_length=40,
        unique=True,
        help_text="the answer's name in conditions; a form field of the same name is "
        "prefilled with it when a bundle starts (e.g. area_sqm, seats)",
    )
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text_th = models.CharField(max_length=300)
    text_en = models.CharField(max_length=300)
    help_th = models.CharField(max_length=500, blank=True)
    help_en = models.CharField(max_length=500, blank=True)
    options = models.JSONField(
        default=list,
        blank=True,
        help_text='choices: [{"value": "restaurant", "th": "ร้านอาหาร", "en": "Restaurant"}]',
    )
    ask_when = models.CharField(
        max_length=500,
        blank=True,
        help_text='FEEL over earlier answers, e.g. activity = "restaurant"; empty: always',
    )
    minimum = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["choice", "yes_no", "number"]), name="advisor_question_kind"
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(minimum__lte=models.F("maximum")),
                name="advisor_question_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text_th}"


class Recommendation(models.Model):
    """A service the advisor recommends when ``when`` holds for the answers."""

    class Necessity(models.TextChoices):
        REQUIRED = "required", _("Required by law")
        ADVISED = "advised", _("Advised")

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="advisor_rules"
    )
    when = models.CharField(max_length=500, help_text="FEEL, e.g. sells_alcohol = true")
    necessity = models.CharField(
        max_length=8, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    reason_th = models.CharField(max_length=300)
    reason_en = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["is_active", "order"], name="advisor_rule_active_idx")]

    def __str__(self) -> str:
        return f"{self.service.slug} when {self.when}"


class Prerequisite(models.Model):
    """When both are recommended, ``before`` is obtained before ``service`` (a company
    is registered before it registers for VAT, before it applies to sell liquor)."""

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="advisor_prerequisites"
    )
    before = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="advisor_needed_by"
    )
    note_th = models.CharField(max_length=300, blank=True)
    note_en = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "before"], name="advisor_prerequisite_once"),
            models.CheckConstraint(
                condition=~Q(service=models.F("before")), name="advisor_prerequisite_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.before.slug} → {self.service.slug}"


class Bundle(models.Model):
    """Applications started together from one advice, in the order they must be
    obtained; the answers they share are asked once on the bundle's page."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="advisor_bundles"
    )
    party = models.ForeignKey(
        "identity.Party", on_delete=models.PROTECT, related_name="advisor_bundles"
    )
    answers = models.JSONField(default=dict, help_text="the advisor answers it started from")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="advisor_bundle_mine_idx")
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="bundle_item"
    )
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["bundle", "order"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "order"], name="advisor_bundle_item_order")
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id}#{self.order}"
