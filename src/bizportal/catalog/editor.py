"""The part of a service an agency edits in the back office, as a JSON snapshot:
what it holds, how an edit is checked, and how two versions differ.

Why a fixed list of fields: an agency admin edits the citizen manual (texts, laws,
steps, fees, documents, channel, contact, categories). The application form, the fee
table, the process and the licence's wording decide how Biz Portal handles
applications and stay with the platform's configuration (admin, harvest).

Why checks of its own before :func:`.manual.check_service`: the manual's checks stop
at the first problem and speak of ``steps[2].days``; an agency admin needs every
problem of the page at once, next to the field it concerns. ``check_service`` still
runs last on the whole service, so nothing the catalogue refuses elsewhere gets in.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .manual import ManualError, check_fee_items, check_service, check_steps
from .models import Category, RequiredDocument, Service, ServiceCategory


@dataclass(frozen=True)
class Field:
    """One editable field as the editor page shows it and the diff names it."""

    name: str
    label_th: str
    label_en: str
    widget: str = "text"  # text, textarea, number, email, url, select, rows, categories
    section: str = "about"


SECTIONS = (
    ("about", "ข้อมูลบริการ", "About the service"),
    ("rules", "หลักเกณฑ์และกฎหมาย", "Criteria and laws"),
    ("process", "ขั้นตอนและระยะเวลา", "Steps and processing time"),
    ("fees", "ค่าธรรมเนียม", "Fees"),
    ("documents", "เอกสารหลักฐาน", "Documents"),
    ("channel", "ช่องทางการยื่นและการติดต่อ", "Where to apply and contact"),
    ("categories", "หมวดหมู่", "Categories"),
)

FIELDS = (
    Field("name_th", "ชื่อบริการ (ไทย)", "Name (Thai)"),
    Field("name_en", "ชื่อบริการ (อังกฤษ)", "Name (English)"),
    Field("manual_code", "รหัสคู่มือประชาชน", "Citizen-manual code"),
    Field("service_kind", "หมวดหมู่ของงานบริการ", "Kind of service", "select"),
    Field("summary_th", "สรุปบริการ (ไทย)", "Summary (Thai)", "textarea"),
    Field("summary_en", "สรุปบริการ (อังกฤษ)", "Summary (English)", "textarea"),
    Field("who_may_apply_th", "ผู้มีสิทธิยื่นคำขอ (ไทย)", "Who may apply (Thai)", "textarea"),
    Field("who_may_apply_en", "ผู้มีสิทธิยื่นคำขอ (อังกฤษ)", "Who may apply (English)", "textarea"),
    Field("criteria_th", "หลักเกณฑ์ วิธีการ เงื่อนไข (ไทย)", "Criteria (Thai)", "textarea", "rules"),
    Field("criteria_en", "หลักเกณฑ์ (อังกฤษ)", "Criteria (English)", "textarea", "rules"),
    Field("legal_basis", "กฎหมายที่ให้อำนาจ", "Legal basis", "rows", "rules"),
    Field(
        "processing_days",
        "ระยะเวลาดำเนินการ (วันทำการ)",
        "Processing time (working days)",
        "number",
        "process",
    ),
    Field("steps", "ขั้นตอนการดำเนินการ", "Steps", "rows", "process"),
    Field("fee_display_th", "ค่าธรรมเนียมโดยย่อ (ไทย)", "Fee in short (Thai)", "text", "fees"),
    Field("fee_display_en", "ค่าธรรมเนียมโดยย่อ (อังกฤษ)", "Fee in short (English)", "text", "fees"),
    Field("fee_items", "รายการค่าธรรมเนียม", "Fee lines", "rows", "fees"),
    Field("fee_note_th", "หมายเหตุค่าธรรมเนียม (ไทย)", "Fee note (Thai)", "textarea", "fees"),
    Field("fee_note_en", "หมายเหตุค่าธรรมเนียม (อังกฤษ)", "Fee note (English)", "textarea", "fees"),
    Field("documents", "เอกสารที่ต้องใช้", "Required documents", "rows", "documents"),
    Field(
        "official_form_th", "แบบฟอร์มของหน่วยงาน (ไทย)", "Official form (Thai)", "text", "documents"
    ),
    Field(
        "official_form_en",
        "แบบฟอร์มของหน่วยงาน (อังกฤษ)",
        "Official form (English)",
        "text",
        "documents",
    ),
    Field("channel", "ช่องทางการยื่นคำขอ", "Where to apply", "select", "channel"),
    Field("apply_url", "ที่อยู่เว็บระบบของหน่วยงาน", "The agency's e-service address", "url", "channel"),
    Field("channel_note_th", "หมายเหตุช่องทาง (ไทย)", "Channel note (Thai)", "text", "channel"),
    Field("channel_note_en", "หมายเหตุช่องทาง (อังกฤษ)", "Channel note (English)", "text", "channel"),
    Field("contact_office_th", "สถานที่ติดต่อ (ไทย)", "Office (Thai)", "text", "channel"),
    Field("contact_office_en", "สถานที่ติดต่อ (อังกฤษ)", "Office (English)", "text", "channel"),
    Field("contact_address_th", "ที่อยู่ (ไทย)", "Address (Thai)", "textarea", "channel"),
    Field("contact_address_en", "ที่อยู่ (อังกฤษ)", "Address (English)", "textarea", "channel"),
    Field("contact_phone", "โทรศัพท์", "Phone", "text", "channel"),
    Field("contact_email", "อีเมล", "Email", "email", "channel"),
    Field("opening_hours_th", "เวลาทำการ (ไทย)", "Opening hours (Thai)", "text", "channel"),
    Field("opening_hours_en", "เวลาทำการ (อังกฤษ)", "Opening hours (English)", "text", "channel"),
    Field("complaint_th", "ช่องทางการร้องเรียน (ไทย)", "Complaints (Thai)", "textarea", "channel"),
    Field(
        "complaint_en", "ช่องทางการร้องเรียน (อังกฤษ)", "Complaints (English)", "textarea", "channel"
    ),
    Field("remarks_th", "หมายเหตุ (ไทย)", "Remarks (Thai)", "textarea", "channel"),
    Field("remarks_en", "หมายเหตุ (อังกฤษ)", "Remarks (English)", "textarea", "channel"),
    Field("categories", "หมวดหมู่", "Categories", "categories", "categories"),
)
FIELD_BY_NAME = {field.name: field for field in FIELDS}
LIST_FIELDS = ("legal_basis", "steps", "fee_items", "documents", "categories")
SCALAR_FIELDS = tuple(f.name for f in FIELDS if f.name not in LIST_FIELDS)

#: The columns of each list field's rows, in the order the editor shows them.
ROW_KEYS = {
    "legal_basis": ("th", "en", "url"),
    "steps": ("th", "en", "days", "unit_th", "unit_en"),
    "fee_items": ("th", "en", "amount"),
    "documents": (
        "code",
        "name_th",
        "name_en",
        "note_th",
        "note_en",
        "required",
        "originals",
        "copies",
    ),
}
DOCUMENT_FIELDS = ROW_KEYS["documents"]
#: The categories an agency admin sets (industries are TSIC codes typed in).
CATEGORY_KINDS = (Category.Kind.LIFECYCLE, Category.Kind.TARGET_GROUP, Category.Kind.INDUSTRY)
#: Channels a service may be saved with (the database's ``service_channel_known``).
EDITABLE_CHANNELS = ("online", "online_counter", "agency_online", "counter")
MAX_ROWS = 60
DOCUMENT_CODE = re.compile(r"^[a-z0-9_-]{1,60}$")

REQUIRED = gettext_lazy("This field is required")
MESSAGES = {
    "required": REQUIRED,
    "max_length": gettext_lazy("At most %(limit_value)d characters"),
    "min_value": gettext_lazy("Must be at least %(limit_value)s"),
    "max_value": gettext_lazy("Must be at most %(limit_value)s"),
    "invalid_choice": gettext_lazy("Choose from the list only"),
}
INVALID = {
    "number": gettext_lazy("Must be a whole number"),
    "email": gettext_lazy("Not a valid email address"),
    "url": gettext_lazy("A web address starting with https:// or http://"),
}

Content = dict[str, Any]
Errors = dict[str, list[str]]


class DraftInvalid(ValueError):
    """An edit the catalogue cannot take; ``errors`` maps each field to its problems
    (Thai / English), ``""`` to those of the whole service."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


# --- the snapshot ----------------------------------------------------------------------


def snapshot(service: Service) -> Content:
    """The live service's editable content (three queries: the service is given)."""
    content: Content = {name: copy.deepcopy(getattr(service, name)) for name in SCALAR_FIELDS}
    for name in ("legal_basis", "steps", "fee_items"):
        content[name] = copy.deepcopy(getattr(service, name) or [])
    documents = RequiredDocument.objects.filter(service=service, kind="").order_by("order", "id")
    content["documents"] = [
        {key: getattr(document, key) for key in DOCUMENT_FIELDS} for document in documents
    ]
    content["categories"] = category_codes(service)
    return content


def category_codes(service: Service) -> list[str]:
    links = ServiceCategory.objects.filter(service=service).values_list(
        "category__kind", "category__code"
    )
    return sorted(f"{kind}:{code}" for kind, code in links)


def apply_fields(content: Content) -> dict[str, Any]:
    """The keyword arguments of ``services.upsert_service`` that make ``content`` live."""
    fields = {name: content[name] for name in SCALAR_FIELDS}
    for name in ("legal_basis", "steps", "fee_items"):
        fields[name] = content[name]
    fields["categories"] = [tuple(code.split(":", 1)) for code in content["categories"]]
    return fields


# --- checking an edit --------------------------------------------------------------


def _form_field(name: str) -> forms.Field:
    """The form field that checks one scalar, from the model field's own limits."""
    model_field = Service._meta.get_field(name)
    required = not getattr(model_field, "blank", True)
    max_length = getattr(model_field, "max_length", None)
    field: forms.Field
    if name == "processing_days":
        field = forms.IntegerField(min_value=1, max_value=3650)
        field.error_messages["invalid"] = INVALID["number"]
    elif name == "channel":
        choices = [(c, label) for c, label in Service.Channel.choices if c in EDITABLE_CHANNELS]
        field = forms.ChoiceField(choices=choices)
    elif name == "service_kind":
        field = forms.ChoiceField(choices=Service.ServiceKind.choices)
    elif name == "contact_email":
        field = forms.EmailField(max_length=max_length, required=False)
        field.error_messages["invalid"] = INVALID["email"]
    elif name == "apply_url":
        field = forms.URLField(max_length=max_length, required=False, assume_scheme="https")
        field.error_messages["invalid"] = INVALID["url"]
    else:
        field = forms.CharField(max_length=max_length, required=required)
    field.error_messages.update(MESSAGES)
    return field


class _ScalarForm(forms.Form):
    pass


ScalarForm = type("ScalarForm", (_ScalarForm,), {name: _form_field(name) for name in SCALAR_FIELDS})


def clean(service: Service, raw: Content) -> Content:
    """The content ``raw`` (as posted: numbers may be text, blank rows allowed) checked
    and normalised, or :class:`DraftInvalid` naming every problem. Reads the
    categories it names (one query); writes nothing."""
    errors: Errors = {}
    form = ScalarForm(data={name: _text(raw.get(name)) for name in SCALAR_FIELDS})
    content: Content = {}
    if form.is_valid():
        content.update(form.cleaned_data)
    else:
        for name, messages in form.errors.items():
            errors[name] = list(messages)
        content.update(form.cleaned_data)
    content["legal_basis"] = _rows(raw, "legal_basis", _law, errors)
    content["steps"] = _rows(raw, "steps", _step, errors)
    content["fee_items"] = _rows(raw, "fee_items", _fee, errors)
    content["documents"] = _documents(raw, errors)
    content["categories"] = _categories(service, raw.get("categories") or [], errors)
    if not errors:
        _whole_service(service, content, errors)
    if errors:
        raise DraftInvalid(errors)
    return content


def _text(value: Any) -> str:
    """Posted text as stored: browsers send a textarea's line breaks as CR LF."""
    return "" if value is None else str(value).replace("\r\n", "\n")


def _blank(row: Any, keys: tuple[str, ...]) -> bool:
    return isinstance(row, dict) and all(
        _text(row.get(k)).strip() in ("", "0") or k == "required" for k in keys
    )


def _rows(raw: Content, name: str, check: Any, errors: Errors) -> list[dict[str, Any]]:
    rows = raw.get(name) or []
    if not isinstance(rows, list):
        errors.setdefault(name, []).append(_("%(field)s must be a list") % {"field": name})
        return []
    if len(rows) > MAX_ROWS:
        errors.setdefault(name, []).append(_("At most %(count)d lines") % {"count": MAX_ROWS})
        return []
    cleaned: list[dict[str, Any]] = []
    for row in rows:
        if _blank(row, ROW_KEYS[name]):
            continue
        number = len(cleaned) + 1
        problems: list[str] = []
        value = check(row if isinstance(row, dict) else {}, problems)
        for problem in problems:
            errors.setdefault(name, []).append(
                _("line %(number)d: %(problem)s") % {"number": number, "problem": problem}
            )
        cleaned.append(value)
    return cleaned


def _texts(row: dict[str, Any], problems: list[str], limit: int = 500) -> dict[str, str]:
    th, en = _text(row.get("th")).strip(), _text(row.get("en")).strip()
    if not th or not en:
        problems.append(_("needs both the Thai and the English text"))
    if len(th) > limit or len(en) > limit:
        problems.append(_("at most %(limit)d characters") % {"limit": limit})
    return {"th": th, "en": en}


def _law(row: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    law: dict[str, Any] = _texts(row, problems)
    url = _text(row.get("url")).strip()
    if url:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError:
            problems.append(str(INVALID["url"]))
        law["url"] = url
    return law


def _whole_number(value: Any, low: int, high: int, what: str, problems: list[str]) -> int:
    text = _text(value).strip() or "0"
    if not re.fullmatch(r"[0-9]{1,5}", text) or not low <= int(text) <= high:
        problems.append(
            _("%(what)s must be %(low)d–%(high)d") % {"what": what, "low": low, "high": high}
        )
        return 0
    return int(text)


def _step(row: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    step: dict[str, Any] = _texts(row, problems)
    step["days"] = _whole_number(row.get("days"), 0, 3650, _("working days"), problems)
    for key in ("unit_th", "unit_en"):
        unit = _text(row.get(key)).strip()
        if unit:
            step[key] = unit[:40]
    return step


def _fee(row: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    line: dict[str, Any] = _texts(row, problems)
    amount = _text(row.get("amount")).strip().replace(",", "")
    line["amount"] = None
    if amount:
        try:
            number = Decimal(amount)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0 or number != number.quantize(Decimal("0.01")):
            problems.append(_("the amount is baht such as 500 or 500.50 (blank when it varies)"))
        else:
            line["amount"] = f"{number:.2f}"
    return line


def _documents(raw: Content, errors: Errors) -> list[dict[str, Any]]:
    """The documents; a new one without a code gets ``document-N`` (applications name
    their uploads by code, so an existing code is kept as it is)."""
    documents = _rows(raw, "documents", _document, errors)
    given = [d["code"] for d in documents if d["code"]]
    if len(given) != len(set(given)):
        errors.setdefault("documents", []).append(_("two documents have the same code"))
    taken, number = set(given), 0
    for document in documents:
        while not document["code"]:
            number += 1
            if f"document-{number}" not in taken:
                document["code"] = f"document-{number}"
                taken.add(document["code"])
    return documents


def _document(row: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    code = _text(row.get("code")).strip()
    if code and not DOCUMENT_CODE.match(code):
        problems.append(_("the document code takes only a-z, 0-9, _ and -"))
    document: dict[str, Any] = {"code": code}
    for key in ("name_th", "name_en", "note_th", "note_en"):
        document[key] = _text(row.get(key)).strip()
        if len(document[key]) > 250:
            problems.append(_("%(field)s: at most 250 characters") % {"field": key})
    if not document["name_th"] or not document["name_en"]:
        problems.append(_("needs the Thai and the English name"))
    required = row.get("required")
    document["required"] = required not in (False, None, "", "0", "false", "off")
    document["originals"] = _whole_number(row.get("originals"), 0, 99, _("originals"), problems)
    document["copies"] = _whole_number(row.get("copies"), 0, 99, _("copies"), problems)
    return document


def _categories(service: Service, codes: Any, errors: Errors) -> list[str]:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors.setdefault("categories", []).append(_("categories are not valid"))
        return []
    wanted = sorted({c.strip() for c in codes if c.strip()})
    pairs = [tuple(code.split(":", 1)) for code in wanted if ":" in code]
    found = {
        f"{kind}:{code}"
        for kind, code in Category.objects.filter(
            kind__in={p[0] for p in pairs}, code__in={p[1] for p in pairs}
        ).values_list("kind", "code")
    }
    unknown = [code for code in wanted if code not in found]
    if unknown:
        errors.setdefault("categories", []).append(
            _("unknown categories %(codes)s") % {"codes": ", ".join(unknown)}
        )
    if service.all_industries and any(c.startswith("industry:") for c in wanted):
        errors.setdefault("categories", []).append(
            _("a service for every kind of business carries no industry")
        )
    return wanted


def _whole_service(service: Service, content: Content, errors: Errors) -> None:
    """The catalogue's own checks on the service as it would be published."""
    candidate = copy.copy(service)
    for name in (*SCALAR_FIELDS, "legal_basis", "steps", "fee_items"):
        setattr(candidate, name, content[name])
    try:
        check_steps(content["steps"], content["processing_days"])
        check_fee_items(content["fee_items"])
        check_service(candidate)
    except ManualError as error:
        # The form and the fee table are the platform's: the channel is what to change.
        field = error.field if error.field in FIELD_BY_NAME else "channel"
        errors.setdefault(field, []).append(str(error))


# --- comparing two versions ------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: Field
    before: list[str]
    after: list[str]


def diff(before: Content, after: Content, names: dict[str, str] | None = None) -> list[Change]:
    """The fields whose value differs, in the editor's order, each as lines of text.
    ``names`` gives category codes their names (see :func:`category_names`)."""
    changes = []
    for field in FIELDS:
        old, new = before.get(field.name), after.get(field.name)
        if _comparable(old) != _comparable(new):
            changes.append(
                Change(field, lines(field.name, old, names), lines(field.name, new, names))
            )
    return changes


def _comparable(value: Any) -> Any:
    return "" if value is None else value


def lines(name: str, value: Any, names: dict[str, str] | None = None) -> list[str]:
    """A field's value as the lines a person reads in a diff."""
    if value in (None, "", []):
        return []
    if name == "categories":
        return [f"{code} {(names or {}).get(code, '')}".strip() for code in value]
    if name == "documents":
        return [
            f"[{d.get('code')}] {d.get('name_th')} / {d.get('name_en')}"
            + ("" if d.get("required", True) else " (" + _("optional") + ")")
            + (f" — {d.get('note_th')} / {d.get('note_en')}" if d.get("note_th") else "")
            + (" · " + _("originals") + f" {d['originals']}" if d.get("originals") else "")
            + (" · " + _("copies") + f" {d['copies']}" if d.get("copies") else "")
            for d in value
        ]
    if name == "steps":
        return [
            f"{s.get('th')} / {s.get('en')} ("
            + ngettext("%(days)s day", "%(days)s days", int(s.get("days") or 0))
            % {"days": s.get("days", 0)}
            + ")"
            for s in value
        ]
    if name == "fee_items":
        return [
            f"{f.get('th')} / {f.get('en')}: "
            + (
                _("%(amount)s THB") % {"amount": f["amount"]}
                if f.get("amount") is not None
                else _("varies")
            )
            for f in value
        ]
    if name == "legal_basis":
        return [f"{law.get('th')} / {law.get('en')} {law.get('url', '')}".strip() for law in value]
    return str(value).splitlines() or [str(value)]


def category_names(*contents: Content) -> dict[str, str]:
    """``kind:code`` → "Thai name / English name" for the categories ``contents`` name."""
    codes = {code for content in contents for code in content.get("categories", [])}
    pairs = [code.split(":", 1) for code in codes if ":" in code]
    if not pairs:
        return {}
    rows = Category.objects.filter(
        kind__in={kind for kind, _code in pairs}, code__in={code for _kind, code in pairs}
    ).values_list("kind", "code", "name_th", "name_en")
    return {f"{kind}:{code}": f"{th} / {en}" for kind, code, th, en in rows}
