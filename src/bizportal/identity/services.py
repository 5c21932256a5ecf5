"""Entrepreneur accounts made from Digital ID: the only place they change.

``sign_in_with_digital_id`` is called by the callback view with the verified ID token
claims and the civil-registry record, after both HTTP exchanges are over, so its
transaction never waits on the network.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from bizportal.catalog.models import Service
from bizportal.core import audit, events
from bizportal.core.thai import validate_citizen_id, validate_juristic_id
from bizportal.registries.client import (
    JuristicRecord,
    PersonRecord,
    RegistryError,
    companies_directed_by,
    fetch_juristic_person,
)

from .acting import Acting, grounds, key_of
from .card_readers import ChipRead, check_chip
from .events import MANDATE_ACCEPTED
from .models import (
    AGENCY_ROLES,
    ClientRepresentation,
    CounterProofing,
    Directorship,
    IdentityConflict,
    IdentityLink,
    Mandate,
    MandateAction,
    NdidRequest,
    Party,
    ProviderProofing,
    StaffRole,
    User,
)
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


def ial_reaches(have: str, need: str) -> bool:
    """Whether IAL ``have`` is at least ``need`` (both known levels)."""
    return _ial_rank(need) >= 0 and _ial_rank(have) >= _ial_rank(need)


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


def sign_in_with_digital_id(
    claims: Mapping[str, Any],
    person: PersonRecord | None,
    *,
    provider: str = "digital_id",
    ial: str | None = None,
    aal: int | None = None,
) -> User:
    """Sign in (:func:`_sign_in`); a provider's answer that conflicts with what another
    provider proved for the account is refused and held for review, in a transaction of
    its own so the refusal does not roll the case back."""
    try:
        return _sign_in(claims, person, provider=provider, ial=ial, aal=aal)
    except ConflictFound as found:
        hold_identity_conflict(found)
        raise SignInError(
            _(
                "The details this provider sent for you differ from those another provider "
                "proved before, so this sign-in is held for review by the portal's "
                "administrators; please sign in the way you did before, or contact us"
            ),
            code="identity_conflict",
            status=409,
        ) from found


@transaction.atomic
def _sign_in(
    claims: Mapping[str, Any],
    person: PersonRecord | None,
    *,
    provider: str,
    ial: str | None,
    aal: int | None,
) -> User:
    """Create or update the entrepreneur the claims (and the registry record) describe.

    A Thai national is keyed by the citizen ID and must match the civil-registry record
    the caller read; names come from the ID token (what the person just proved), falling
    back to the registry; address and birth date come from the registry. A foreign
    national (``person_kind: foreign``) is keyed by passport and nationality, and by the
    13-digit Thai ID where they have one; there is no civil-registry record to read.
    Refuses staff accounts (they sign in at the back office) and deactivated ones.
    ``provider`` names the plugin that verified the claims; ``ial`` and ``aal`` are what
    it says they confirm (default: the ``ial`` and ``aal`` claims, Digital ID's names).
    """
    ial = str(claims.get("ial") or "") if ial is None else ial
    aal_text = str(claims.get("aal", "")) if aal is None else str(aal)
    foreign = claims.get("person_kind") == "foreign"
    citizen_id = _claimed_citizen_id(claims, required=not foreign)
    passport_no, nationality = _claimed_passport(claims) if foreign else ("", "")
    if not foreign and (person is None or person.citizen_id != citizen_id):
        raise SignInError(
            _("The registry record is not this person's"),
            code="registry_mismatch",
        )
    audit.hold_chain()  # before the account row is locked: see hold_chain
    user = _account_for(citizen_id, passport_no, nationality)
    created = user.pk is None
    if not created:
        _check_link(user, provider, claims, ial, aal_text)
    before = {name: getattr(user, name) for name in _SYNCED}
    _sync_names(user, claims, person)
    if person is not None:
        user.address = dict(person.address)
        user.birth_date = person.birth_date
    user.passport_no, user.nationality = (
        passport_no or user.passport_no,
        nationality or user.nationality,
    )
    user.identity_assurance = ial[:8]
    user.save()
    ensure_person_party(user)
    _record_link(user, provider, claims, ial, aal_text)

    changed = sorted(name for name in _SYNCED if getattr(user, name) != before[name])
    audit.record(
        "identity.signed_in",
        user,
        actor=user,
        provider=provider,
        issuer=str(claims.get("iss", "")),
        person_kind="foreign" if foreign else "thai",
        ial=user.identity_assurance,
        aal=aal_text,
        acr=str(claims.get("acr", "")),
        amr=list(claims.get("amr") or []),
        account_created=created,
        fields_updated=changed,
    )
    return user


def _claimed_citizen_id(claims: Mapping[str, Any], *, required: bool) -> str | None:
    raw = str(claims.get("pid") or "")
    if not raw and not required:
        return None
    try:
        return validate_citizen_id(raw)
    except ValidationError as error:
        raise SignInError(
            _("Digital ID sent an invalid citizen ID"),
            code="invalid_pid",
        ) from error


def _claimed_passport(claims: Mapping[str, Any]) -> tuple[str, str]:
    passport_no = str(claims.get("passport_no") or "").strip().upper()
    nationality = str(claims.get("nationality") or "").strip().upper()
    if not (
        re.fullmatch(r"[A-Z0-9]{5,20}", passport_no) and re.fullmatch(r"[A-Z]{3}", nationality)
    ):
        raise SignInError(
            _("Digital ID sent incomplete passport details"),
            code="invalid_passport",
        )
    return passport_no, nationality


def _account_for(citizen_id: str | None, passport_no: str, nationality: str) -> User:
    """The existing account of this person (locked), or a new unsaved one."""
    accounts = User.objects.select_for_update()
    user = accounts.filter(citizen_id=citizen_id).first() if citizen_id else None
    if user is None and passport_no:
        user = accounts.filter(passport_no=passport_no, nationality=nationality).first()
    if user is None:
        user = User(
            username=f"applicant-{uuid.uuid4().hex[:16]}",
            role=User.Role.APPLICANT,
            citizen_id=citizen_id,
        )
        user.set_unusable_password()
        return user
    if user.role != User.Role.APPLICANT:
        raise SignInError(
            _("This is a staff account: please sign in on the officers' page"),
            code="staff_account",
            status=403,
        )
    if not user.is_active:
        raise SignInError(
            _("This account is suspended, please contact the administrator"),
            code="inactive",
            status=403,
        )
    if citizen_id and not user.citizen_id:
        user.citizen_id = citizen_id
    return user


def _sync_names(user: User, claims: Mapping[str, Any], person: PersonRecord | None) -> None:
    """Names from the ID token (just proved), falling back to the registry record."""
    user.full_name_th = str(claims.get("name") or (person.full_name_th if person else ""))[:200]
    user.full_name_en = str(claims.get("name_en") or (person.full_name_en if person else ""))[:200]
    user.first_name = str(claims.get("given_name") or (person.first_name_th if person else ""))[
        :150
    ]
    user.last_name = str(claims.get("family_name") or (person.last_name_th if person else ""))[:150]
    if claims.get("email"):
        user.email = str(claims["email"])[:254]


_SYNCED = (
    "full_name_th",
    "full_name_en",
    "first_name",
    "last_name",
    "email",
    "address",
    "birth_date",
    "identity_assurance",
    "passport_no",
    "nationality",
)


@transaction.atomic
def record_sign_out(user: Any) -> None:
    """Audit a sign-out (the session itself is Django's to end)."""
    if getattr(user, "is_authenticated", False):
        audit.record("identity.signed_out", user, actor=user)


# --- parties -------------------------------------------------------------------------


class PartyError(Exception):
    """A party or mandate operation that is not allowed; ``str()`` is bilingual."""


def ensure_person_party(user: User) -> Party:
    """The entrepreneur's own party, created on first sign-in, names kept current."""
    key = key_of(user)
    if not key:
        raise PartyError(_("This account has no identity number"))
    party, _created = Party.objects.update_or_create(
        key=key,
        defaults={
            "kind": Party.Kind.PERSON,
            "name_th": user.full_name_th or user.display_name,
            "name_en": user.full_name_en,
            "active": True,
        },
    )
    if user.party_id != party.pk:
        user.party = party
        user.save(update_fields=["party"])
    return party


@transaction.atomic
def record_company(record: JuristicRecord) -> Party:
    """Store what the juristic registry says of a company: names, status, signing rule,
    directors (the directorships are replaced, so a removed director stops counting)."""
    party, _created = Party.objects.update_or_create(
        key=record.juristic_id,
        defaults={
            "kind": Party.Kind.JURISTIC,
            "name_th": record.name_th,
            "name_en": record.name_en,
            "active": record.status == "active",
            "registry_status": record.status,
            "signing_rule": (
                Party.SigningRule.TWO_DIRECTORS
                if record.signing_rule == "two"
                else Party.SigningRule.ANY_DIRECTOR
            ),
            "registered_address": dict(record.registered_address),
            "refreshed_at": timezone.now(),
        },
    )
    party.directorships.exclude(citizen_id__in=record.director_citizen_ids).delete()
    Directorship.objects.bulk_create(
        [Directorship(party=party, citizen_id=cid) for cid in record.director_citizen_ids],
        ignore_conflicts=True,
    )
    return party


def refresh_companies_of(user: User) -> list[Party]:
    """Ask the juristic registry (over HTTP) which companies list the person as a
    director, and keep them as parties. Raises ``RegistryError`` when it cannot answer."""
    if not user.citizen_id:
        return []
    records = companies_directed_by(user.citizen_id, actor=user, purpose="act_for_company")
    return [record_company(record) for record in records]


def refresh_company(party: Party, *, actor: Any) -> Party:
    """Read a company again before it acts (submission): active, directors, signing rule."""
    record = fetch_juristic_person(party.key, actor=actor, purpose="company_acts")
    return record_company(record)


def choose_party(user: User, party: Party) -> Acting:
    """Check that the person may act for ``party``; the caller keeps it in the session."""
    acting = grounds(user, party)
    if acting is None:
        raise PartyError(_("You may not act for this party"))
    with transaction.atomic():
        audit.record(
            "identity.acting_for",
            party,
            actor=user,
            basis=acting.basis,
            mandate=str(acting.mandate.public_id) if acting.mandate else "",
        )
    return acting


# --- mandates ------------------------------------------------------------------------


def _delegate_key(raw: str) -> str:
    value = (raw or "").strip().upper().replace("-", "").replace(" ", "")
    if value.isdigit():
        return validate_citizen_id(value)
    if value.startswith("P:"):
        parts = value.split(":")
        if len(parts) == 3 and len(parts[1]) == 3 and parts[1].isalpha() and parts[2].isalnum():
            return value
    raise ValidationError(
        _("Give a 13-digit citizen ID, or P:nationality:passport (e.g. P:GBR:XA1234567)"),
        code="delegate",
    )


@transaction.atomic
def grant_mandate(
    acting: Acting,
    *,
    delegate: str,
    actions: list[str],
    valid_from: dt.date,
    valid_until: dt.date,
    services: list[Service] | None = None,
) -> Mandate:
    """The acting party lets another person act for it.

    Only the party itself or, for a company, a director may grant: a delegate cannot
    pass a mandate on. Refuses (``ValidationError``, nothing saved) an unknown action, an
    empty list, a period that ends before it starts or in the past, and the grantor as
    their own delegate.
    """
    if acting.basis not in ("self", "director"):
        raise PartyError(_("A delegate cannot pass a mandate on"))
    key = _delegate_key(delegate)
    chosen = sorted(set(actions))
    if not chosen or not set(chosen) <= set(MandateAction.values):
        raise ValidationError(
            _("Choose what the delegate may do"),
            code="actions",
        )
    if valid_until < valid_from or valid_until < timezone.localdate():
        raise ValidationError(
            _("The period is not valid: it must end after it starts, and not before today"),
            code="period",
        )
    if key in (acting.party.key, key_of(acting.user)):
        raise ValidationError(_("You cannot give a mandate to yourself"), code="delegate")
    known = _account_by_key(key)
    mandate = Mandate.objects.create(
        grantor=acting.party,
        delegate_key=key,
        delegate_name=known.display_name if known else "",
        actions=chosen,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=acting.user,
    )
    if services:
        mandate.services.set(services)
    audit.record(
        "identity.mandate_granted",
        mandate,
        actor=acting.user,
        grantor=acting.party.key,
        delegate=key,
        actions=chosen,
        services=[s.slug for s in services or []],
        valid_from=valid_from.isoformat(),
        valid_until=valid_until.isoformat(),
    )
    return mandate


def _account_by_key(key: str) -> User | None:
    """The entrepreneur account a citizen ID or ``P:<nationality>:<passport>`` names."""
    if key.isdigit():
        return User.objects.filter(citizen_id=key, role=User.Role.APPLICANT).first()
    _kind, nationality, passport_no = key.split(":")
    return User.objects.filter(
        passport_no=passport_no, nationality=nationality, role=User.Role.APPLICANT
    ).first()


def mandates_offered_to(user: User) -> Any:
    return Mandate.objects.filter(
        delegate_key=key_of(user), status=Mandate.Status.OFFERED
    ).select_related("grantor")


@transaction.atomic
def answer_mandate(mandate: Mandate, user: User, *, accept: bool) -> Mandate:
    """The named delegate accepts or declines, in their own account."""
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.delegate_key != key_of(user):
        raise PartyError(_("This mandate is not given to you"))
    if mandate.status != Mandate.Status.OFFERED:
        raise PartyError(_("This mandate was answered or revoked already"))
    mandate.status = Mandate.Status.ACCEPTED if accept else Mandate.Status.DECLINED
    mandate.delegate = user
    mandate.delegate_name = user.display_name
    mandate.answered_at = timezone.now()
    mandate.save(update_fields=["status", "delegate", "delegate_name", "answered_at"])
    audit.record(
        "identity.mandate_accepted" if accept else "identity.mandate_declined",
        mandate,
        actor=user,
    )
    if accept:
        # The written mandate (if a covered service's law needs one) is rendered and
        # signed by a subscriber after this commits: signing waits on the time-stamping
        # service, which must not hold this transaction open.
        events.publish(
            MANDATE_ACCEPTED,
            mandate,
            {"mandate": str(mandate.public_id), "needs_document": mandate.needs_document},
            actor=user,
        )
    return mandate


@transaction.atomic
def store_mandate_document(mandate: Mandate, signed_pdf: bytes, *, signer: str) -> Mandate:
    """Keep the signed written mandate of an accepted mandate, exactly once.

    The portal renders and signs it (identity cannot import the signing code); this is
    the one writer. Idempotent: a second run (an outbox message delivered twice) finds
    the document stored and leaves it, so the file people downloaded stays the one on
    record. A mandate answered otherwise or revoked meanwhile gets none.
    """
    current = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if current.document_signed_at is not None:
        return current
    if current.status != Mandate.Status.ACCEPTED:
        raise PartyError(_("This mandate is not in force: no written mandate is issued"))
    digest = hashlib.sha256(signed_pdf).hexdigest()
    current.document.save("mandate.pdf", ContentFile(signed_pdf), save=False)
    stored_name = str(current.document.name)
    try:
        current.document_sha256 = digest
        current.document_signed_at = timezone.now()
        current.save(update_fields=["document", "document_sha256", "document_signed_at"])
        audit.record(
            "identity.mandate_document_issued",
            current,
            actor_label="Biz Portal",
            sha256=digest,
            signer=signer,
        )
    except BaseException:  # no file without its row
        current.document.storage.delete(stored_name)
        raise
    return current


@transaction.atomic
def revoke_mandate(mandate: Mandate, user: User, *, reason: str = "") -> Mandate:
    """The grantor (the party, a director) withdraws it, or the delegate gives it up.
    It stops working at the delegate's next request."""
    mandate = Mandate.objects.select_for_update().select_related("grantor").get(pk=mandate.pk)
    on_grantor_side = (acting := grounds(user, mandate.grantor)) is not None and (
        acting.basis in ("self", "director")
    )
    if not (on_grantor_side or mandate.delegate_id == user.pk):
        raise PartyError(_("You may not revoke this mandate"))
    if mandate.status in (Mandate.Status.REVOKED, Mandate.Status.DECLINED):
        raise PartyError(_("This mandate has already ended"))
    mandate.status = Mandate.Status.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.revoked_by = user
    mandate.revocation_reason = (reason or "").strip()
    mandate.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    audit.record("identity.mandate_revoked", mandate, actor=user, reason=mandate.revocation_reason)
    return mandate


# --- client representatives (accountant firms) ------------------------------------


def firm_by_juristic_id(raw: str, *, actor: Any) -> Party:
    """The company a juristic ID names: as the portal knows it, or read from the juristic
    registry (over HTTP) the first time; refused when it is not an active company."""
    key = validate_juristic_id((raw or "").strip().replace("-", "").replace(" ", ""))
    party = Party.objects.filter(key=key, kind=Party.Kind.JURISTIC).first()
    if party is None:
        try:
            party = record_company(
                fetch_juristic_person(key, actor=actor, purpose="client_representative")
            )
        except RegistryError as error:
            raise ValidationError(str(error), code="firm") from error
    if not party.active:
        raise ValidationError(_("This company is not active in the juristic registry"), code="firm")
    return party


@transaction.atomic
def approve_representative(
    acting: Acting, firm: Party, *, services: list[Service], actions: list[str]
) -> ClientRepresentation:
    """A director of the company approves a firm (an accountant firm) as its client
    representative for ``services`` x ``actions``. Refused, with nothing saved: anyone
    but a director, the company itself, no service or action, an unknown action, and a
    firm already approved (revoke first, so every change is its own record)."""
    if acting.basis != "director" or not acting.party.is_company:
        raise PartyError(_("Only a director of the company may approve its representatives"))
    chosen = sorted(set(actions))
    if not services or not chosen:
        raise ValidationError(_("Choose at least one service and one action"), code="rights")
    if not set(chosen) <= set(MandateAction.values):
        raise ValidationError(_("Unknown action"), code="actions")
    if not firm.is_company or firm.pk == acting.party.pk:
        raise ValidationError(
            _("A client representative is another company, named by its juristic ID"),
            code="firm",
        )
    if ClientRepresentation.objects.filter(
        client=acting.party, firm=firm, revoked_at__isnull=True
    ).exists():
        raise ValidationError(
            _("This firm is already approved; revoke it first to change its rights"),
            code="firm",
        )
    representation = ClientRepresentation.objects.create(
        client=acting.party, firm=firm, actions=chosen, approved_by=acting.user
    )
    representation.services.set(services)
    audit.record(
        "identity.representative_approved",
        representation,
        actor=acting.user,
        on_behalf_of=acting.party.key,
        representative=firm.key,
        representation=str(representation.public_id),
        services=sorted(s.slug for s in services),
        actions=chosen,
    )
    return representation


@transaction.atomic
def revoke_representative(
    representation: ClientRepresentation, acting: Acting
) -> ClientRepresentation:
    """A director of the client company ends the approval: the firm's people and systems
    are refused from their next request on (every request reads it again)."""
    representation = ClientRepresentation.objects.select_for_update().get(pk=representation.pk)
    if acting.basis != "director" or acting.party.pk != representation.client_id:
        raise PartyError(_("Only a director of the company may revoke its representatives"))
    if representation.revoked_at is not None:
        raise PartyError(_("This approval was already revoked"))
    representation.revoked_at = timezone.now()
    representation.revoked_by = acting.user
    representation.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        "identity.representative_revoked",
        representation,
        actor=acting.user,
        on_behalf_of=acting.party.key,
        representative=representation.firm.key,
        representation=str(representation.public_id),
    )
    return representation


# --- the service counter ---------------------------------------------------------------


@transaction.atomic
def proof_at_counter(
    officer: User,
    person: PersonRecord,
    *,
    method: str,
    document_no: str = "",
    chip: ChipRead | None = None,
) -> User:
    """A counter officer proved a walk-in person's identity: their account (made now if
    they never signed in) is raised to the assurance of the method used, never lowered.

    The civil-registry record and (for the chip methods) the card's chip are read by
    the caller (over HTTP) before this runs; the chip must be the person's, valid today
    and, for ``chip_face``, with a face score the reader rated high enough.
    """
    if not officer.has_role(StaffRole.COUNTER_OFFICER):
        raise PartyError(_("Service counter officers only"))
    if method not in CounterProofing.IAL_BY_METHOD:
        raise ValidationError(_("Unknown proofing method"), code="method")
    if method in CounterProofing.CHIP_METHODS:
        if chip is None:
            raise ValidationError(_("Read the ID card's chip first"), code="chip")
        check_chip(chip, person.citizen_id, face=method == "chip_face", today=timezone.localdate())
        document_no = chip.card_no
    ial = CounterProofing.IAL_BY_METHOD[method]
    user = User.objects.select_for_update().filter(citizen_id=person.citizen_id).first()
    created = user is None
    if user is None:
        user = User(
            username=f"applicant-{uuid.uuid4().hex[:16]}",
            role=User.Role.APPLICANT,
            citizen_id=person.citizen_id,
        )
        user.set_unusable_password()
    elif not user.is_entrepreneur:
        raise PartyError(_("This is a staff account"))
    user.full_name_th = person.full_name_th[:200]
    user.full_name_en = person.full_name_en[:200]
    user.address = dict(person.address)
    user.birth_date = person.birth_date
    before = user.identity_assurance
    if _ial_rank(ial) > _ial_rank(user.identity_assurance):
        user.identity_assurance = ial
    user.save()
    ensure_person_party(user)
    proofing = CounterProofing.objects.create(
        account=user,
        method=method,
        ial=ial,
        document_no=document_no.strip()[:40],
        card_expires=chip.expires if chip else None,
        face_score=chip.face_score if chip else None,
        officer=officer,
    )
    audit.record(
        "identity.proofed_at_counter",
        user,
        actor=officer,
        method=method,
        ial=ial,
        ial_before=before,
        ial_after=user.identity_assurance,
        face_score=proofing.face_score,
        account_created=created,
        proofing=str(proofing.public_id),
    )
    return user


def refuse_counter_proofing(officer: User, *, method: str, reason: str) -> None:
    """A proofing the counter refused (card not the person's, expired, unsigned answer,
    poor face match): kept in the audit trail, with no citizen ID (the card may not
    have been the person's at all)."""
    audit.record(
        "identity.counter_proofing_refused",
        ("identity.counterproofing", "refused"),
        actor=officer,
        method=method,
        reason=reason,
    )


def check_staff_roles(user: User, roles: list[str]) -> None:
    """Agency roles need the account's agency; refuse the combination otherwise."""
    if set(roles) & AGENCY_ROLES and user.agency_id is None:
        raise ValidationError(
            _("Agency roles need the account's agency"),
            code="agency",
        )


# --- staff accounts (an agency administrator manages their own agency's) --------------


def _agency_admin_of(admin: User, account: User | None = None) -> None:
    """Refuse unless ``admin`` administers an agency (and ``account`` is staff of it)."""
    if not admin.has_role(StaffRole.AGENCY_ADMIN) or admin.agency_id is None:
        raise PartyError(_("Agency administrators only"))
    if account is not None and (
        account.role != User.Role.STAFF or account.agency_id != admin.agency_id
    ):
        raise PartyError(_("You manage your own agency's staff only"))


def _agency_roles(roles: list[str]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen or not set(chosen) <= AGENCY_ROLES:
        raise ValidationError(
            _("Choose at least one agency role"),
            code="roles",
        )
    return chosen


def _set_groups(user: User, roles: list[str]) -> None:
    from django.contrib.auth.models import Group

    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.set(groups)
    user.__dict__.pop("staff_roles", None)
    # Agency IT work in the admin (their agency's systems and integrations only:
    # core.admin.AgencyScopedAdmin); nobody else an agency administrator makes does.
    admin_site = StaffRole.AGENCY_IT in roles
    if not user.is_superuser and user.is_staff != admin_site:
        user.is_staff = admin_site
        user.save(update_fields=["is_staff"])


@transaction.atomic
def create_staff(
    admin: User,
    *,
    username: str,
    full_name_th: str,
    full_name_en: str,
    email: str,
    roles: list[str],
    password: str,
) -> User:
    """A new officer, supervisor or administrator of the admin's own agency."""
    _agency_admin_of(admin)
    chosen = _agency_roles(roles)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("This username is taken"), code="username")
    user = User(
        username=username,
        role=User.Role.STAFF,
        agency_id=admin.agency_id,
        full_name_th=full_name_th,
        full_name_en=full_name_en,
        email=email,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _set_groups(user, chosen)
    audit.record("identity.staff_created", user, actor=admin, roles=chosen, agency=admin.agency_id)
    return user


@transaction.atomic
def set_staff_roles(admin: User, account: User, roles: list[str]) -> User:
    _agency_admin_of(admin, account)
    chosen = _agency_roles(roles)
    if account.pk == admin.pk and StaffRole.AGENCY_ADMIN not in chosen:
        raise PartyError(_("You cannot remove your own administrator role"))
    before = sorted(account.staff_roles)
    _set_groups(account, chosen)
    audit.record("identity.staff_roles_changed", account, actor=admin, before=before, after=chosen)
    return account


@transaction.atomic
def set_staff_active(admin: User, account: User, *, active: bool) -> User:
    """Suspend or restore a member of staff (never delete: the audit trail names them)."""
    _agency_admin_of(admin, account)
    if account.pk == admin.pk:
        raise PartyError(_("You cannot suspend your own account"))
    account.is_active = active
    account.save(update_fields=["is_active"])
    audit.record(
        "identity.staff_restored" if active else "identity.staff_suspended", account, actor=admin
    )
    return account


@transaction.atomic
def record_step_up(user: Any, claims: Mapping[str, Any]) -> None:
    """Audit a second factor confirmed at Digital ID for this session."""
    audit.record(
        "identity.stepped_up",
        user,
        actor=user,
        aal=str(claims.get("aal", "")),
        acr=str(claims.get("acr", "")),
        amr=list(claims.get("amr") or []),
    )


@transaction.atomic
def update_from_userinfo(user: User, info: Mapping[str, Any]) -> list[str]:
    """Names and email as Digital ID's userinfo says now (after a refresh-token grant).
    The person must be the same: a different ``pid`` is refused."""
    if user.citizen_id and info.get("pid") and str(info["pid"]) != user.citizen_id:
        raise SignInError(
            _("Digital ID answered about someone else"),
            code="userinfo_other_person",
            status=403,
        )
    before = {name: getattr(user, name) for name in _SYNCED}
    if info.get("name"):
        user.full_name_th = str(info["name"])[:200]
    if info.get("name_en"):
        user.full_name_en = str(info["name_en"])[:200]
    if info.get("email"):
        user.email = str(info["email"])[:254]
    user.save()
    ensure_person_party(user)
    changed = sorted(name for name in _SYNCED if getattr(user, name) != before[name])
    audit.record("identity.refreshed", user, actor=user, fields_updated=changed)
    return changed


# --- Staff second factor (TOTP, django-otp) ---------------------------------------


class SecondFactor(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


def staff_totp_device(user: User) -> TOTPDevice | None:
    """The staff member's confirmed authenticator, if they enrolled one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


@transaction.atomic
def totp_device_to_enrol(user: User) -> TOTPDevice:
    """A new secret for a staff member without an authenticator, kept unconfirmed (it
    opens nothing) until a code from it comes back; the same one on every visit."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is not None:
        return pending
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    audit.record("identity.second_factor_offered", user, actor=user, device="totp")
    return device


@transaction.atomic
def check_staff_totp(user: User, code: str) -> tuple[SecondFactor, TOTPDevice | None]:
    """Check a TOTP code from the staff member's authenticator (or, while enrolling,
    from the one just offered, which a right code confirms).

    The device row is locked, so parallel guesses are counted one after the other;
    django-otp refuses a code of an already used time step and doubles the wait after
    each wrong code. Every outcome is audited.
    """
    devices = TOTPDevice.objects.select_for_update().filter(user=user).order_by("-confirmed", "pk")
    device = devices.first()
    if device is None:
        audit.record("identity.second_factor_failed", user, actor=user, reason="no_device")
        return SecondFactor.WRONG, None
    allowed, _wait = device.verify_is_allowed()
    if not allowed:
        audit.record("identity.second_factor_failed", user, actor=user, reason="throttled")
        return SecondFactor.THROTTLED, device
    if not device.verify_token(re.sub(r"\s", "", code or "")):
        audit.record("identity.second_factor_failed", user, actor=user, reason="wrong")
        return SecondFactor.WRONG, device
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record("identity.second_factor_enrolled", user, actor=user, device="totp")
    audit.record("identity.second_factor_verified", user, actor=user, aal="2", amr=["pwd", "otp"])
    return SecondFactor.OK, device


# --- identity providers side by side: links and conflicts (issue 21) -----------------

#: The claims a provider's answer is compared on, kept minimised on links and conflicts.
COMPARED_CLAIMS = ("given_name", "family_name", "given_name_en", "family_name_en", "birthdate")


def minimised_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Names and birth date as the provider stated them, nothing else."""
    return {k: str(claims[k]).strip() for k in COMPARED_CLAIMS if claims.get(k)}


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class ConflictFound(Exception):
    """A provider's first answer for an account disagrees with another provider's."""

    def __init__(
        self, account: User, provider: str, subject: str, link: IdentityLink, **data: Any
    ) -> None:
        super().__init__(f"{provider} conflicts with {link.provider}")
        self.account, self.provider, self.subject, self.link = account, provider, subject, link
        self.data = data


def _check_link(user: User, provider: str, claims: Mapping[str, Any], ial: str, aal: str) -> None:
    """Before a provider's first sign-in to an existing account: its names and birth
    date must agree with every other provider's that proved the account (the claims both
    sent). Raises :class:`ConflictFound`, or :class:`SignInError` after a rejection."""
    subject = str(claims.get("sub") or "")
    if (
        not subject
        or IdentityLink.objects.filter(account=user, provider=provider, subject=subject).exists()
    ):
        return
    if IdentityConflict.objects.filter(
        account=user, provider=provider, subject=subject, status=IdentityConflict.Status.REJECTED
    ).exists():
        raise SignInError(
            _("Signing in this way was refused after a review; please use the way you did before"),
            code="identity_conflict_rejected",
            status=403,
        )
    new = minimised_claims(claims)
    for link in user.identity_links.exclude(provider=provider):
        differs = sorted(k for k in new if k in link.claims and not _same(new[k], link.claims[k]))
        if differs:
            raise ConflictFound(
                user, provider, subject, link, new=new, differs=differs, ial=ial, aal=aal
            )


def _record_link(user: User, provider: str, claims: Mapping[str, Any], ial: str, aal: str) -> None:
    """Which provider proved the account, when first and last, at which assurance
    (nothing without a subject: claims not from a provider, e.g. the demo loader's)."""
    now = timezone.now()
    subject = str(claims.get("sub") or "")
    if not subject:
        return
    link, _created = IdentityLink.objects.get_or_create(
        provider=provider,
        subject=subject,
        defaults={"account": user, "first_signed_in_at": now, "last_signed_in_at": now},
    )
    if link.account_id != user.pk:
        raise SignInError(
            _("This identity is linked to another account; please contact us"),
            code="link_other_account",
            status=409,
        )
    link.last_signed_in_at = now
    link.ial, link.aal = ial, int(aal) if aal.isdigit() else 1
    link.claims = minimised_claims(claims) or link.claims
    link.save()


@transaction.atomic
def hold_identity_conflict(found: ConflictFound) -> IdentityConflict:
    """Keep the refused answer for review (one open case per account, provider and
    subject), audited with the names of the claims that differ, not their values."""
    conflict, created = IdentityConflict.objects.select_for_update().get_or_create(
        account=found.account,
        provider=found.provider,
        subject=found.subject,
        status=IdentityConflict.Status.OPEN,
        defaults={"known_provider": found.link.provider},
    )
    conflict.known_provider = found.link.provider
    conflict.known_claims = dict(found.link.claims)
    conflict.new_claims = found.data["new"]
    conflict.differs = found.data["differs"]
    conflict.ial = found.data["ial"][:8]
    conflict.aal = int(found.data["aal"]) if str(found.data["aal"]).isdigit() else 1
    conflict.save()
    audit.record(
        "identity.conflict_held",
        conflict,
        actor_label=f"identity provider {found.provider}",
        account=str(found.account.public_id),
        provider=found.provider,
        known_provider=found.link.provider,
        differs=conflict.differs,
        again=not created,
    )
    return conflict


@transaction.atomic
def resolve_identity_conflict(
    conflict: IdentityConflict, admin: User, *, accept: bool, note: str = ""
) -> IdentityConflict:
    """A platform administrator's decision: accept (the provider is linked to the
    account with the claims it sent, so the person can sign in with it) or reject (the
    provider stays refused for this person)."""
    if not (admin.is_superuser or admin.has_role(StaffRole.PLATFORM_ADMIN)):
        raise PartyError(_("Platform administrators only"))
    conflict = IdentityConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != IdentityConflict.Status.OPEN:
        raise ValidationError(_("This case has already been decided"), code="decided")
    if accept:
        if IdentityLink.objects.filter(
            provider=conflict.provider, subject=conflict.subject
        ).exists():
            raise ValidationError(
                _("This identity is linked to another account"), code="linked_elsewhere"
            )
        now = timezone.now()
        IdentityLink.objects.create(
            account=conflict.account,
            provider=conflict.provider,
            subject=conflict.subject,
            ial=conflict.ial,
            aal=conflict.aal,
            claims=conflict.new_claims,
            first_signed_in_at=now,
            last_signed_in_at=now,
        )
    conflict.status = (
        IdentityConflict.Status.ACCEPTED if accept else IdentityConflict.Status.REJECTED
    )
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = admin
    conflict.save()
    audit.record(
        "identity.conflict_resolved",
        conflict,
        actor=admin,
        account=str(conflict.account.public_id),
        provider=conflict.provider,
        decision=conflict.status,
        note=note[:500],
    )
    return conflict


# --- NDID sign-in requests (issue 21) -------------------------------------------------


class NdidCallbackRefused(Exception):
    """A node callback the portal does not accept; ``code`` for the audit and tests,
    ``status`` for the answer to the node, ``data`` what the audit keeps."""

    def __init__(self, code: str, status: int, **data: Any) -> None:
        super().__init__(code)
        self.code, self.status, self.data = code, status, data


@transaction.atomic
def open_ndid_request(
    *, reference_id: str, request_id: str, pid: str, idp_id: str, min_ial: str, min_aal: str
) -> NdidRequest:
    """Record the request the node accepted (after the HTTP exchange), pending."""
    item = NdidRequest.objects.create(
        reference_id=reference_id,
        request_id=request_id,
        identifier=pid,
        idp_id=idp_id,
        min_ial=min_ial,
        min_aal=min_aal,
        expires_at=timezone.now() + dt.timedelta(seconds=settings.NDID_REQUEST_TIMEOUT),
    )
    audit.record(
        "identity.ndid_requested",
        item,
        actor_label="sign-in",
        request_id=request_id,
        idp_id=idp_id,
        min_ial=min_ial,
        min_aal=min_aal,
    )
    return item


@transaction.atomic
def audit_ndid_refusal(refused: NdidCallbackRefused) -> None:
    """Record a refused callback (in its own transaction: the refusal rolls back the rest)."""
    audit.record(
        "identity.ndid_callback_refused",
        ("identity.ndidrequest", str(refused.data.get("request_id") or "-")[:128]),
        actor_label="ndid node",
        reason=refused.code,
        **refused.data,
    )


def record_ndid_callback(payload: Mapping[str, Any]) -> NdidRequest:
    """Apply a (verified) status callback, or audit why not and raise
    :class:`NdidCallbackRefused`."""
    try:
        return _apply_ndid_callback(payload)
    except NdidCallbackRefused as refused:
        audit_ndid_refusal(refused)
        raise


@transaction.atomic
def _apply_ndid_callback(payload: Mapping[str, Any]) -> NdidRequest:
    """``pending`` changes nothing, a final status closes the request once; a status for
    a closed request is a replay, one for a request we never made is refused."""
    request_id = str(payload.get("request_id") or "")
    status = str(payload.get("status") or "")
    item = NdidRequest.objects.select_for_update().filter(request_id=request_id).first()
    if item is None:
        raise NdidCallbackRefused("unknown_request", 404, request_id=request_id)
    if item.status in NdidRequest.FINAL:
        raise NdidCallbackRefused("replayed", 409, request_id=request_id, reported=status)
    if status not in NdidRequest.Status.values:
        raise NdidCallbackRefused("bad_status", 400, request_id=request_id, reported=status)
    if status == NdidRequest.Status.COMPLETED:
        _accept_ndid_answer(item, payload)
    item.status = status
    if status != NdidRequest.Status.PENDING:
        item.answered_at = timezone.now()
    item.save()
    audit.record(
        "identity.ndid_answered",
        item,
        actor_label="ndid node",
        request_id=request_id,
        status=item.status,
        ial=item.ial,
        aal=item.aal,
    )
    return item


def _accept_ndid_answer(item: NdidRequest, payload: Mapping[str, Any]) -> None:
    """A completion must come from the IdP asked, with a valid signature, at least at
    the levels asked for; otherwise it is refused (nothing recorded but the refusal)."""
    answers = [
        answer
        for answer in payload.get("response_valid_list") or []
        if isinstance(answer, dict)
        and answer.get("idp_id") == item.idp_id
        and answer.get("valid_signature") is True
        and answer.get("valid_ial") is True
    ]
    if not answers:
        raise NdidCallbackRefused("no_valid_response", 400, request_id=item.request_id)
    ial, aal = str(answers[0].get("ial") or ""), str(answers[0].get("aal") or "")
    try:
        aal_ok = float(aal) >= float(item.min_aal)
    except ValueError:
        aal_ok = False
    if _ial_rank(ial) < _ial_rank(item.min_ial) or not aal_ok:
        raise NdidCallbackRefused("insufficient_assurance", 400, request_id=item.request_id)
    item.ial, item.aal = ial, aal


@transaction.atomic
def expire_ndid_request(public_id: str) -> NdidRequest:
    """Give up waiting on a request past its time (the node may never call back)."""
    item = NdidRequest.objects.select_for_update().get(public_id=public_id)
    if item.status == NdidRequest.Status.PENDING and item.expires_at <= timezone.now():
        item.status = NdidRequest.Status.TIMED_OUT
        item.answered_at = timezone.now()
        item.save()
        audit.record("identity.ndid_timed_out", item, actor_label="sign-in")
    return item


@transaction.atomic
def consume_ndid_request(public_id: str) -> NdidRequest:
    """The completed request, marked used: it signs in once."""
    item = NdidRequest.objects.select_for_update().filter(public_id=public_id).first()
    if item is None or item.status != NdidRequest.Status.COMPLETED or item.signed_in_at:
        raise SignInError(
            _("Your IdP did not confirm this sign-in, please start again"),
            code="ndid_not_completed",
            status=403,
        )
    item.signed_in_at = timezone.now()
    item.save(update_fields=["signed_in_at"])
    return item


# --- IAL raised at the identity provider (issue 21 item 2) --------------------------


@transaction.atomic
def record_provider_proofing(user: User, provider: str, ial: str) -> ProviderProofing:
    """The provider proved the person at ``ial`` when the portal asked for more
    (``acr_values``): kept as a proofing row (method "provider", which provider, when),
    and the account's IAL raised if that is higher than what it had."""
    user = User.objects.select_for_update().get(pk=user.pk)
    before = user.identity_assurance
    if _ial_rank(ial) > _ial_rank(before):
        user.identity_assurance = ial[:8]
        user.save(update_fields=["identity_assurance"])
    proofing = ProviderProofing.objects.create(account=user, provider=provider, ial=ial[:8])
    audit.record(
        "identity.proofed_at_provider",
        user,
        actor=user,
        method="provider",
        provider=provider,
        ial=ial,
        ial_before=before,
        proofing=str(proofing.public_id),
    )
    return proofing
