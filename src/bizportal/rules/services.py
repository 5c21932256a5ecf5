"""Fees as data: every licence fee is a versioned DMN decision table with FEEL cells.

Why DMN: an agency changes a fee by uploading a table drawn in a modeller (Camunda
Modeler, bpmn.io), not by asking for a code release; and the table is the single
place a fee lives, so what the citizen manual prints and what the invoice charges
cannot drift. Why versions: an application quoted under one table must still be
charged by that table after a new one is published, and everyone can see which
version was live when.

Interface:

* :func:`calculate_fee` ``(service, answers, facts=None) -> Decimal``: the fee in THB
  from the live version of ``service.fee_table``.
* :func:`quote_fee` ``(version, answers, facts=None) -> FeeQuote``: the fee and its
  lines under one given version (pin the version, re-quote later).
* :func:`live_version` ``(key)``, :func:`fee_inputs` ``(key)``,
  :func:`decision_table` ``(version)``.
* :func:`upload_version`, :func:`publish_version`, :func:`sync_shipped_tables`: the only
  state changes, each in one transaction with its audit record.
* :class:`FeeRuleError`: bilingual, with a ``code`` and the ``field`` at fault.

Conventions for a fee table (checked when a version is uploaded):

* one decision whose id is the table's key (``fee_food_shop``);
* hit policy UNIQUE, ANY, FIRST, RULE ORDER or COLLECT (with SUM, MIN, MAX or COUNT);
* an output ``fee`` (number, baht) and optionally ``item`` (string, the invoice line);
* each input expression a name or dotted path into ``{**answers, "application":
  facts}`` with typeRef ``number``, ``string``, ``boolean`` or ``date``;
* cells in FEEL (unary tests in inputs, expressions in outputs).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from bizportal.core import audit
from bizportal.core.thai import baht

from . import engine
from .engine import DecisionInput, DecisionTable, DecisionTableError, Match
from .models import KEY_PATTERN, DecisionDefinition, DecisionVersion

if TYPE_CHECKING:
    from bizportal.catalog.models import Agency

__all__ = [
    "SHIPPED_TABLE_DIR",
    "DecisionTable",
    "FeeLine",
    "FeeQuote",
    "FeeRuleError",
    "calculate_fee",
    "decision_table",
    "fee_inputs",
    "live_version",
    "publish_version",
    "quote_fee",
    "sync_shipped_tables",
    "upload_version",
]

#: The tables the platform ships; :func:`sync_shipped_tables` loads them after migrate.
SHIPPED_TABLE_DIR = Path(__file__).resolve().parent / "dmn"
FACTS_ROOT = "application"
_KEY = re.compile(KEY_PATTERN)
Status = DecisionVersion.Status


class FeeRuleError(ValueError):
    """The fee cannot be computed, or a table cannot be saved; ``str(error)`` is
    a message in the language active when it was raised.

    ``code`` says why: ``missing``, ``invalid``, ``no_rule``, ``unknown_table`` and
    ``bad_table`` when computing a fee; ``bad_table``, ``duplicate``, ``not_draft`` and
    ``forbidden`` when uploading or publishing. ``field`` names the answer at fault, if
    any, so a form can put the message next to the right input.
    """

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


#: The fee stage of a line whose rule names none: the fee invoiced after approval.
DEFAULT_FEE_STAGE = "licence"
FEE_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class FeeLine:
    """One line of an invoice: an amount in THB (2 places), what it is for, and the
    stage of the process that invoices it (the ``stage`` output; ``licence`` if none):
    an application fee at submission, the licence fee at approval."""

    amount: Decimal
    item: str
    stage: str = DEFAULT_FEE_STAGE


@dataclass(frozen=True)
class FeeQuote:
    """The fee under one version of one table: the total and the lines it adds up."""

    key: str
    version_number: int
    total: Decimal
    lines: tuple[FeeLine, ...]


def _bad_table(key: str, detail: str) -> FeeRuleError:
    return FeeRuleError(
        _("Fee table %(key)s cannot be used (%(detail)s)") % {"key": key, "detail": detail},
        code="bad_table",
    )


def _unknown_table(key: str) -> FeeRuleError:
    return FeeRuleError(_("No fee table named %(key)r") % {"key": key}, code="unknown_table")


# --- checking and parsing tables ---------------------------------------------------------


def _fee_conventions(table: DecisionTable) -> Iterable[str]:
    """What a decision table needs beyond valid DMN to be a fee table."""
    names = [output.name for output in table.outputs]
    fee = next((output for output in table.outputs if output.name == "fee"), None)
    if fee is None:
        yield "it needs an output named 'fee' (a number, in baht)"
    elif engine.INPUT_TYPES.get(fee.type_ref) != "number":
        yield f"output fee has typeRef {fee.type_ref!r}, expected number"
    for text_output in ("item", "stage"):
        found = next((output for output in table.outputs if output.name == text_output), None)
        if found is not None and found.type_ref != "string":
            yield f"output {text_output} has typeRef {found.type_ref!r}, expected string"
    extra = [name or "(unnamed)" for name in names if name not in {"fee", "item", "stage"}]
    if extra or len(names) != len(set(names)):
        yield f"outputs must be fee and optionally item and stage, found {', '.join(names)}"
    if fee is not None:
        position = names.index("fee")
        for rule in table.rules:
            if position < len(rule.output_entries) and not rule.output_entries[position]:
                yield f"rule {rule.title} has an empty fee cell"


def _check(key: str, source: bytes) -> DecisionTable:
    """Parse ``source`` as the fee table ``key`` or refuse it, listing every problem."""
    try:
        return engine.load(source, decision_id=key, check=_fee_conventions)
    except DecisionTableError as error:
        raise _bad_table(key, "; ".join(error.problems)) from error


class _TableCache:
    """Parsed tables by version; bounded, shared by the threads of one process.

    Keyed by (id, sha256), not id alone: ids of rolled-back rows can be reused (tests
    do this all the time), and a checksum is what makes a version what it is.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._tables: OrderedDict[tuple[int, str], DecisionTable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> DecisionTable | None:
        with self._lock:
            table = self._tables.get(key)
            if table is not None:
                self._tables.move_to_end(key)
            return table

    def put(self, key: tuple[int, str], table: DecisionTable) -> None:
        with self._lock:
            self._tables[key] = table
            self._tables.move_to_end(key)
            while len(self._tables) > self._maxsize:
                self._tables.popitem(last=False)


_TABLES = _TableCache(maxsize=256)


def decision_table(version: DecisionVersion) -> DecisionTable:
    """The parsed table of ``version``; parsed once per process, as versions never change.

    The source is checked against its stored checksum first, so a row edited behind
    the services' back is refused rather than charged.
    """
    cache_key = (version.pk, version.sha256)
    table = _TABLES.get(cache_key)
    if table is not None:
        return table
    key = version.definition.key
    data = version.source.encode("utf-8")
    if hashlib.sha256(data).hexdigest() != version.sha256:
        raise _bad_table(key, f"version {version.number} does not match its checksum")
    table = _check(key, data)
    _TABLES.put(cache_key, table)
    return table


def live_version(key: str) -> DecisionVersion:
    """The version of table ``key`` that fees are computed with now."""
    if not _KEY.match(key):
        raise _unknown_table(key)
    version = (
        DecisionVersion.objects.select_related("definition")
        .filter(definition__key=key, status=Status.LIVE)
        .first()
    )
    if version is None:
        raise _unknown_table(key)
    return version


def fee_inputs(key: str) -> list[str]:
    """What the live table reads, in column order (``[]`` for a flat fee).

    Plain names are answer fields (``area_sqm``); ``application.*`` paths are facts
    the caller supplies (``application.days_past_expiry``).
    """
    return [column.expression for column in decision_table(live_version(key)).inputs]


# --- computing fees -------------------------------------------------------------------------


def _label(column: DecisionInput) -> str:
    """The reader's half of a "ไทย / English" column label (the table's own data),
    falling back to the input expression."""
    thai, _sep, english = column.label.partition(" / ")
    if (get_language() or "th").startswith("th"):
        return thai or column.expression
    return english or thai or column.expression


def _lookup(scope: Mapping[str, Any], path: str) -> Any:
    value: Any = scope
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _coerce(column: DecisionInput, value: Any) -> Any:
    """Turn one JSON answer (or fact) into the column's type, or refuse it clearly.

    Numbers answered by an applicant are quantities and may not be negative; facts
    (``application.*``) come from the system and may (a renewal 3 days early is
    ``days_past_expiry = -3``).
    """
    label = _label(column)
    field = column.expression
    kind = column.kind
    if kind == "number":
        number: Decimal | None = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if not (isinstance(value, float) and not math.isfinite(value)):
                number = Decimal(str(value))
        elif isinstance(value, str) and value.strip():
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            raise FeeRuleError(
                _("%(label)s must be a number (got %(value)r)") % {"label": label, "value": value},
                code="invalid",
                field=field,
            )
        if number < 0 and not field.startswith(FACTS_ROOT + "."):
            raise FeeRuleError(
                _("%(label)s must not be negative (got %(value)s)")
                % {"label": label, "value": value},
                code="invalid",
                field=field,
            )
        return number
    if kind == "boolean":
        if not isinstance(value, bool):
            raise FeeRuleError(
                _("%(label)s must be true or false (got %(value)r)")
                % {"label": label, "value": value},
                code="invalid",
                field=field,
            )
        return value
    if kind == "date":
        parsed: date | None = None
        if isinstance(value, date) and not isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                parsed = date.fromisoformat(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            raise FeeRuleError(
                _("%(label)s must be a date as YYYY-MM-DD (got %(value)r)")
                % {"label": label, "value": value},
                code="invalid",
                field=field,
            )
        return parsed
    if not isinstance(value, str) or not value.strip():
        raise FeeRuleError(
            _("%(label)s must be one of the listed choices (got %(value)r)")
            % {"label": label, "value": value},
            code="invalid",
            field=field,
        )
    return value.strip()


def _shown(values: Mapping[str, Any]) -> str:
    return (
        ", ".join(
            f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"
            for name, value in values.items()
        )
        or "-"
    )


def _line(table: DecisionTable, key: str, match: Match) -> FeeLine:
    raw = match.outputs.get("fee")
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _bad_table(key, f"rule {match.rule.title} gives fee {raw!r}, not a number")
    amount = Decimal(str(raw))
    if not amount.is_finite():
        raise _bad_table(key, f"rule {match.rule.title} gives fee {raw!r}, not a number")
    item = match.outputs.get("item")
    if item is not None and not isinstance(item, str):
        raise _bad_table(key, f"rule {match.rule.title} gives item {item!r}, not text")
    stage = match.outputs.get("stage")
    stage = stage.strip() if isinstance(stage, str) else stage
    if stage and not (isinstance(stage, str) and FEE_STAGE_PATTERN.fullmatch(stage)):
        raise _bad_table(key, f"rule {match.rule.title} gives stage {stage!r}, not a stage name")
    return FeeLine(
        amount=baht(amount),
        item=(item or "").strip() or table.name,
        stage=stage or DEFAULT_FEE_STAGE,
    )


def _aggregate(table: DecisionTable, lines: list[FeeLine]) -> tuple[Decimal, tuple[FeeLine, ...]]:
    """The total and the lines to show, by hit policy and aggregation.

    Several lines without an aggregation (COLLECT, RULE ORDER) are an itemised invoice,
    so the total is their sum. MIN and MAX keep the line they chose; COUNT charges the
    number of matching rules, as one line named after the table.
    """
    if table.aggregation == "COUNT":
        count = baht(len(lines))
        return count, (FeeLine(amount=count, item=table.name),)
    if table.aggregation == "MIN":
        chosen = min(lines, key=lambda line: line.amount)
        return chosen.amount, (chosen,)
    if table.aggregation == "MAX":
        chosen = max(lines, key=lambda line: line.amount)
        return chosen.amount, (chosen,)
    return baht(sum((line.amount for line in lines), Decimal(0))), tuple(lines)


def quote_fee(
    version: DecisionVersion,
    answers: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
) -> FeeQuote:
    """The fee under ``version`` for these answers and facts about the application.

    The table sees ``{**answers, "application": facts}``, but only the paths it
    declares as inputs, each checked and typed first: a wrong answer gets a message
    naming that answer instead of an engine traceback, and nothing else in the
    application data can influence the fee. Any version can be quoted, live or not,
    which is how an application keeps the fee of the version it was quoted under.
    """
    key = version.definition.key
    table = decision_table(version)
    if not isinstance(answers, Mapping):
        raise FeeRuleError(_("The application answers are not valid"), code="invalid")
    if facts is not None and not isinstance(facts, Mapping):
        raise FeeRuleError(_("The application facts are not valid"), code="invalid")
    scope = {**answers, FACTS_ROOT: dict(facts or {})}
    values: dict[str, Any] = {}
    for column in table.inputs:
        value = _lookup(scope, column.expression)
        if value is None or (isinstance(value, str) and not value):
            raise FeeRuleError(
                _("%(label)s is needed to calculate the fee") % {"label": _label(column)},
                code="missing",
                field=column.expression,
            )
        values[column.expression] = _coerce(column, value)
    try:
        matches = table.evaluate(values)
    except engine.DecisionEvaluationError as error:
        raise _bad_table(key, str(error)) from error
    if not matches:
        shown = _shown(values)
        raise FeeRuleError(
            _("No fee rule matches the answers (%(answers)s)") % {"answers": shown},
            code="no_rule",
            field=next(iter(values), None),
        )
    total, lines = _aggregate(table, [_line(table, key, match) for match in matches])
    if total < 0:
        raise _bad_table(key, f"the total fee {total} is negative")
    return FeeQuote(key=key, version_number=version.number, total=total, lines=lines)


def calculate_fee(
    service: Any, answers: Mapping[str, Any], facts: Mapping[str, Any] | None = None
) -> Decimal:
    """The fee of ``service`` (the live version of its ``fee_table``) in THB, 2 places."""
    fee_table = str(getattr(service, "fee_table", "") or "")
    if not fee_table:
        raise FeeRuleError(
            _("This service has no fee table"),
            code="unknown_table",
        )
    return quote_fee(live_version(fee_table), answers, facts).total


# --- state changes --------------------------------------------------------------------------


def _source_bytes(key: str, source: str | bytes) -> tuple[str, bytes]:
    if isinstance(source, bytes):
        try:
            return source.decode("utf-8"), source
        except UnicodeDecodeError as error:
            raise _bad_table(key, "the file is not UTF-8 text") from error
    return source, source.encode("utf-8")


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _next_number(definition: DecisionDefinition) -> int:
    highest = definition.versions.aggregate(highest=Max("number"))["highest"]
    return int(highest or 0) + 1


@transaction.atomic
def upload_version(
    key: str,
    source: str | bytes,
    *,
    actor: Any,
    name: str = "",
    agency: Agency | None = None,
) -> DecisionVersion:
    """Check a DMN file completely and save it as a new draft version of table ``key``.

    Nothing is saved if anything is wrong: the error lists every problem found (schema,
    decision id, hit policy, inputs, every cell, the ``fee`` output). The definition is
    created on first upload, owned by ``agency`` (None for a platform table); an agency
    may not add versions to another agency's table or to a platform table. A file
    identical to the live version or a pending draft is refused as a duplicate.
    A draft changes no fee until :func:`publish_version`.
    """
    if not _KEY.match(key):
        raise _bad_table(key or "-", "the key must be lower-case letters, digits and underscores")
    text, data = _source_bytes(key, source)
    table = _check(key, data)
    digest = hashlib.sha256(data).hexdigest()
    definition = DecisionDefinition.objects.select_for_update().filter(key=key).first()
    created = definition is None
    if definition is None:
        definition = DecisionDefinition.objects.create(
            key=key, name=(name.strip() or table.name)[:200], agency=agency
        )
    else:
        if agency is not None and definition.agency_id != agency.pk:
            raise FeeRuleError(
                _("Fee table %(key)s belongs to another agency or to the platform") % {"key": key},
                code="forbidden",
            )
        same = (
            definition.versions.filter(sha256=digest, status__in=[Status.LIVE, Status.DRAFT])
            .order_by("number")
            .first()
        )
        if same is not None:
            raise FeeRuleError(
                _("This file is identical to version %(number)s (%(status)s)")
                % {"number": same.number, "status": same.get_status_display()},
                code="duplicate",
            )
        if name.strip() and name.strip() != definition.name:
            definition.name = name.strip()[:200]
            definition.save(update_fields=["name"])
    version = DecisionVersion.objects.create(
        definition=definition,
        number=_next_number(definition),
        source=text,
        sha256=digest,
        status=Status.DRAFT,
        summary=table.summary(),
        created_by=_user(actor),
    )
    audit.record(
        "rules.version_uploaded",
        version,
        actor=actor,
        key=key,
        number=version.number,
        sha256=digest,
        definition_created=created,
        agency=definition.agency.code if definition.agency else None,
    )
    return version


@transaction.atomic
def publish_version(version: DecisionVersion, *, actor: Any) -> DecisionVersion:
    """Make a draft the live version of its table; the previous live one is retired.

    Rows are locked (``select_for_update``) so two people publishing at once cannot
    leave two live versions; the database refuses that anyway. The table is checked
    again, in case the rules for tables have tightened since it was uploaded.
    Applications already quoted keep their version; new quotes use this one.
    """
    locked = list(
        DecisionVersion.objects.select_for_update()
        .select_related("definition")
        .filter(definition_id=version.definition_id)
    )
    current = next((v for v in locked if v.pk == version.pk), None)
    if current is None or current.status != Status.DRAFT:
        shown = current.status if current is not None else "missing"
        raise FeeRuleError(
            _("Only a draft can be published (version %(number)s is %(status)s)")
            % {"number": version.number, "status": shown},
            code="not_draft",
        )
    decision_table(current)
    now = timezone.now()
    previous = next((v for v in locked if v.status == Status.LIVE), None)
    if previous is not None:
        previous.status = Status.RETIRED
        previous.save(update_fields=["status"])
    current.status = Status.LIVE
    current.published_at = now
    current.published_by = _user(actor)
    current.save(update_fields=["status", "published_at", "published_by"])
    audit.record(
        "rules.version_published",
        current,
        actor=actor,
        key=current.definition.key,
        number=current.number,
        sha256=current.sha256,
        retired=previous.number if previous is not None else None,
    )
    return current


@transaction.atomic
def sync_shipped_tables() -> list[DecisionVersion]:
    """Load every ``rules/dmn/*.dmn`` file into the database; returns the new versions.

    A table not yet in the database becomes version 1, live. A file whose checksum
    differs from every version already stored becomes the next version, live, and the
    previous live version is retired: a code release that changes a shipped table
    changes the fee. A file already stored (in any status) changes nothing, so running
    this again, after every migrate, is harmless, and a version an admin published
    over a shipped one survives redeploys until the file itself changes.

    A shipped file that fails the checks raises: it is a programming error, and
    ``migrate`` should stop on it.
    """
    loaded: list[DecisionVersion] = []
    for path in sorted(SHIPPED_TABLE_DIR.glob("*.dmn")):
        key = path.stem
        data = path.read_bytes()
        text, _sha = _source_bytes(key, data)
        table = _check(key, data)
        digest = hashlib.sha256(data).hexdigest()
        definition, created = DecisionDefinition.objects.select_for_update().get_or_create(
            key=key, defaults={"name": table.name[:200]}
        )
        if not created and definition.versions.filter(sha256=digest).exists():
            continue
        previous = definition.versions.select_for_update().filter(status=Status.LIVE).first()
        if previous is not None:
            previous.status = Status.RETIRED
            previous.save(update_fields=["status"])
        version = DecisionVersion.objects.create(
            definition=definition,
            number=_next_number(definition),
            source=text,
            sha256=digest,
            status=Status.LIVE,
            summary=table.summary(),
            published_at=timezone.now(),
        )
        audit.record(
            "rules.shipped_version_loaded",
            version,
            actor_label=gettext_noop("rules/dmn (shipped with the code)"),
            key=key,
            number=version.number,
            sha256=digest,
            retired=previous.number if previous is not None else None,
        )
        loaded.append(version)
    return loaded
