"""Entrepreneur accounts made from Digital ID: the only place they change.

``sign_in_with_digital_id`` is called by the callback view with the verified ID token
claims and the civil-registry record, after both HTTP exchanges are over, so its
transaction never waits on the network.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bizportal.core import audit
from bizportal.core.thai import validate_citizen_id
from bizportal.registries.client import PersonRecord

from .models import User
from .providers import SignInError

#: Thai Digital ID identity assurance levels, weakest first (ETDA guideline; NDID min_ial).
IAL_ORDER: tuple[str, ...] = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3")


def _ial_rank(level: str | None) -> int:
    """Position in :data:`IAL_ORDER`; -1 for unknown or missing (ranks below every level)."""
    value = (level or "").strip().upper().removeprefix("IAL").strip()
    if value in ("3.0", "3.1"):
        value = "3"
    try:
        return IAL_ORDER.index(value)
    except ValueError:
        return -1


def meets_assurance(user: Any, min_ial: str) -> bool:
    """Whether the user's last Digital ID sign-in was at least ``min_ial``.

    An empty requirement is met by anyone; an unknown requirement by nobody (a typo in a
    service's configuration must not open it up); staff accounts without a Digital ID
    sign-in meet nothing but an empty requirement.
    """
    if not (min_ial or "").strip():
        return True
    required = _ial_rank(min_ial)
    if required < 0:
        return False
    return _ial_rank(getattr(user, "identity_assurance", "")) >= required


@transaction.atomic
def sign_in_with_digital_id(claims: Mapping[str, Any], person: PersonRecord) -> User:
    """Create or update the applicant the claims and the registry record describe.

    Names come from the ID token (what the person just proved), falling back to the
    registry; address and birth date come from the registry, which is authoritative for
    them. Refuses staff accounts (they sign in at the back office) and deactivated ones.
    """
    try:
        citizen_id = validate_citizen_id(str(claims.get("pid") or ""))
    except ValidationError as error:
        raise SignInError(
            "เลขประจำตัวประชาชนจากดิจิทัลไอดีไม่ถูกต้อง / Digital ID sent an invalid citizen ID",
            code="invalid_pid",
        ) from error
    if person.citizen_id != citizen_id:
        raise SignInError(
            "ข้อมูลทะเบียนราษฎรไม่ตรงกับผู้ยืนยันตัวตน / The registry record is not this person's",
            code="registry_mismatch",
        )

    user = User.objects.select_for_update().filter(citizen_id=citizen_id).first()
    created = user is None
    if user is None:
        user = User(
            username=f"applicant-{uuid.uuid4().hex[:16]}",
            role=User.Role.APPLICANT,
            citizen_id=citizen_id,
        )
        user.set_unusable_password()
    elif user.role != User.Role.APPLICANT:
        raise SignInError(
            "บัญชีนี้เป็นบัญชีเจ้าหน้าที่ โปรดเข้าสู่ระบบที่หน้าสำหรับเจ้าหน้าที่ / "
            "This is a staff account: please sign in on the officers' page",
            code="staff_account",
            status=403,
        )
    elif not user.is_active:
        raise SignInError(
            "บัญชีนี้ถูกระงับ โปรดติดต่อผู้ดูแลระบบ / "
            "This account is suspended, please contact the administrator",
            code="inactive",
            status=403,
        )

    before = {name: getattr(user, name) for name in _SYNCED}
    user.full_name_th = str(claims.get("name") or person.full_name_th)[:200]
    user.full_name_en = str(claims.get("name_en") or person.full_name_en)[:200]
    user.first_name = str(claims.get("given_name") or person.first_name_th)[:150]
    user.last_name = str(claims.get("family_name") or person.last_name_th)[:150]
    if claims.get("email"):
        user.email = str(claims["email"])[:254]
    user.address = dict(person.address)
    user.birth_date = person.birth_date
    user.identity_assurance = str(claims.get("ial") or "")[:8]
    user.save()

    changed = sorted(name for name in _SYNCED if getattr(user, name) != before[name])
    audit.record(
        "identity.signed_in",
        user,
        actor=user,
        provider="digital_id",
        issuer=str(claims.get("iss", "")),
        ial=user.identity_assurance,
        aal=str(claims.get("aal", "")),
        acr=str(claims.get("acr", "")),
        account_created=created,
        fields_updated=changed,
    )
    return user


_SYNCED = (
    "full_name_th",
    "full_name_en",
    "first_name",
    "last_name",
    "email",
    "address",
    "birth_date",
    "identity_assurance",
)


@transaction.atomic
def record_sign_out(user: Any) -> None:
    """Audit a sign-out (the session itself is Django's to end)."""
    if getattr(user, "is_authenticated", False):
        audit.record("identity.signed_out", user, actor=user)
