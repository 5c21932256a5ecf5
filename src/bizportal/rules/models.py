"""Fee tables as data: a definition per decision id, and its numbered versions.

Why in the database and versioned: an agency changes a fee by uploading a new table,
not by waiting for a code release, and an application quoted under one version must
be able to show (and be charged) exactly that version later. A version's DMN source
never changes once saved; only its status moves, draft -> live -> retired, and the
database itself keeps at most one live version per table.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bizportal.core.versioning import DefinitionVersion

#: Decision ids, fee-table keys and ``catalog.Service.fee_table`` values look like this.
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,79}$"


class DecisionDefinition(models.Model):
    """One decision table, known by its decision id (``key``), e.g. ``fee_food_shop``.

    ``agency`` is set for tables an agency owns (its staff see and change only those);
    blank for the tables the platform ships in ``rules/dmn/``.
    """

    key = models.SlugField(
        max_length=80, unique=True, help_text="DMN decision id; Service.fee_table names it"
    )
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(
        "catalog.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision_definitions",
        help_text="blank for tables the platform ships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key__regex=KEY_PATTERN), name="rules_definition_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class DecisionVersion(DefinitionVersion):
    """One uploaded DMN file of a definition; immutable apart from its status."""

    definition = models.ForeignKey(
        DecisionDefinition, on_delete=models.PROTECT, related_name="versions"
    )

    class Meta:
        ordering = ["definition", "-number"]
        permissions = [("publish_decisionversion", "Can publish a decision table version")]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="rules_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["definition"],
                condition=Q(status="live"),
                name="rules_one_live_version",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "live", "retired"]),
                name="rules_version_status_known",
            ),
            # A draft was never published; a live or retired version was, at a known time.
            models.CheckConstraint(
                condition=(
                    Q(status="draft", published_at__isnull=True)
                    | (~Q(status="draft") & Q(published_at__isnull=False))
                ),
                name="rules_version_published_at",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="rules_version_number_from_1"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="rules_version_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number} ({self.status})"
