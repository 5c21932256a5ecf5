"""How the sandbox agency decides: three plain rules, so a tester can steer an
application to any outcome from the portal's form alone.

1. **Reject** when an answer about area is over the limit (``--reject-area-over``,
   1,000 m² by default): any numeric answer, at any depth of ``package.answers``, whose
   field name contains ``area`` or ends in ``sqm`` (``area_sqm``, ``floor_area``,
   ``shop.area_sqm``). Also reject when the holder's name contains ``ปฏิเสธ`` ("refuse").
2. **Correct** (send back to the applicant) every ``--correction-every``-th decision,
   counted over all decisions in arrival order, when that application has never been
   sent back before; it comes back as a new forwarding and is then decided normally.
3. Otherwise **approve**, with a licence ``SBX-<Buddhist year>-<decision ordinal>``
   valid five years from today (an ISO, Gregorian date, as the contract asks).

Pure functions: the caller supplies the ordinal, the history and today's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

REFUSE_WORD = "ปฏิเสธ"
LICENCE_YEARS = 5
BUDDHIST_ERA_OFFSET = 543

CORRECT_MESSAGE = (
    "กรุณาแก้ไขข้อมูลในคำขอและแนบเอกสารให้ครบถ้วน แล้วยื่นใหม่อีกครั้ง"
    " / Please correct the details in your application, attach every document and"
    " submit it again."
)


@dataclass(frozen=True)
class Decision:
    """A decision and what the portal needs with it (``message`` or ``licence``)."""

    type: str
    message: str = ""
    licence: dict[str, str] = field(default_factory=dict)

    def body(self, sequence: int) -> dict[str, Any]:
        """The update as posted to the portal; only the fields this type needs."""
        body: dict[str, Any] = {"sequence": sequence, "type": self.type}
        if self.message:
            body["message"] = self.message
        if self.licence:
            body["licence"] = self.licence
        return body


def decide(
    package: dict[str, Any],
    *,
    ordinal: int,
    corrected_before: bool,
    correction_every: int,
    area_limit: float,
    today: date,
) -> Decision:
    """The decision for one forwarding's package (see the module's rules)."""
    refusal = refusal_reason(package, area_limit)
    if refusal:
        return Decision("reject", message=refusal)
    if correction_every > 0 and ordinal % correction_every == 0 and not corrected_before:
        return Decision("correct", message=CORRECT_MESSAGE)
    return Decision("approve", licence=licence(ordinal, today))


def refusal_reason(package: dict[str, Any], area_limit: float) -> str:
    """Why the application is refused (Thai / English), or "" when it is not."""
    holder = package.get("holder") or {}
    names = f"{holder.get('name_th') or ''} {holder.get('name_en') or ''}"
    if REFUSE_WORD in names:
        return "ผู้ยื่นคำขอไม่มีคุณสมบัติตามที่กำหนด / The applicant does not qualify."
    for name, value in numeric_answers(package.get("answers")):
        if _is_area(name) and value > area_limit:
            return (
                f"พื้นที่ {value:g} ตารางเมตร เกินกว่าที่อนุญาต ({area_limit:g} ตารางเมตร)"
                f" / The area of {value:g} m² is over the {area_limit:g} m² allowed."
            )
    return ""


def numeric_answers(answers: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every number in the answers with its dotted name; numeric strings count too,
    since forms often keep what was typed."""
    if isinstance(answers, dict):
        for key, value in answers.items():
            yield from numeric_answers(value, f"{prefix}{key}.")
    elif isinstance(answers, list):
        for value in answers:
            yield from numeric_answers(value, prefix)
    elif isinstance(answers, int | float) and not isinstance(answers, bool):
        yield prefix.rstrip("."), float(answers)
    elif isinstance(answers, str):
        try:
            yield prefix.rstrip("."), float(answers.replace(",", ""))
        except ValueError:
            return


def _is_area(dotted_name: str) -> bool:
    last = dotted_name.rsplit(".", 1)[-1].lower()
    return "area" in last or last.endswith("sqm")


def licence(ordinal: int, today: date) -> dict[str, str]:
    """A licence number unique within this sandbox (the decision ordinal) and its end."""
    return {
        "number": f"SBX-{today.year + BUDDHIST_ERA_OFFSET}-{ordinal:05d}",
        "valid_until": add_years(today, LICENCE_YEARS).isoformat(),
    }


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
