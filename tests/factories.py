"""Test data builders with traits, shared by every app's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
from django.utils import timezone
from stdnum.th import pin

from bizportal.applications.models import Application
from bizportal.catalog import demo
from bizportal.catalog.models import Agency, Service
from bizportal.identity.models import Directorship, Mandate, Party, StaffRole, User
from bizportal.identity.services import ensure_person_party


def citizen_id(n: int) -> str:
    first12 = f"1{n:011d}"
    return first12 + str(pin.calc_check_digit(first12))


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency{n}")
    name_th = factory.Sequence(lambda n: f"หน่วยงานทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Agency {n}")


def demo_service_fields(slug: str) -> dict[str, Any]:
    entry = next(s for s in demo.SERVICES if s["slug"] == slug)
    fields = {
        k: v for k, v in entry.items() if k not in {"agency", "documents", "application_types"}
    }
    return fields


class ServiceFactory(factory.django.DjangoModelFactory):
    """A copy of the demo food-shop service (form, fee table, process) under a new slug."""

    class Meta:
        model = Service

    agency = factory.SubFactory(AgencyFactory)
    slug = factory.Sequence(lambda n: f"service-{n}")

    @classmethod
    def _create(cls, model_class: type[Service], *args: Any, **kwargs: Any) -> Service:
        like = kwargs.pop("like", "food-shop-licence")
        base = {**demo_service_fields(like), **kwargs}
        entry = next(s for s in demo.SERVICES if s["slug"] == like)
        service = model_class.objects.create(
            **base, terms_th=demo.STANDARD_TERMS_TH, terms_en=demo.STANDARD_TERMS_EN
        )
        for order, document in enumerate(entry["documents"]):
            service.documents.create(order=order, **document)
        for kind in entry["application_types"]:
            service.application_types.create(**kind)
        return service


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"applicant{n}")
    role = User.Role.APPLICANT
    citizen_id = factory.Sequence(lambda n: citizen_id(n + 100))
    full_name_th = factory.Sequence(lambda n: f"นายทดสอบ ผู้ประกอบการ{n}")
    full_name_en = factory.Sequence(lambda n: f"Mr Test Entrepreneur{n}")
    email = factory.Sequence(lambda n: f"applicant{n}@example.test")
    identity_assurance = "2.3"
    address = factory.LazyFunction(
        lambda: {
            "house_no": "99/1",
            "street": "ถนนพหลโยธิน",
            "subdistrict": "สามเสนใน",
            "district": "พญาไท",
            "province": "กรุงเทพมหานคร",
            "postcode": "10400",
        }
    )

    @factory.post_generation
    def own_party(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Every entrepreneur acts for themselves at least: their party, as at sign-in."""
        if create:
            ensure_person_party(obj)


class ForeignApplicantFactory(ApplicantFactory):
    """A foreign entrepreneur without a Thai ID, known by passport and nationality."""

    citizen_id = None
    passport_no = factory.Sequence(lambda n: f"XB{n:07d}")
    nationality = "GBR"
    full_name_th = factory.Sequence(lambda n: f"มิสเตอร์ทดสอบ ชาวต่างชาติ{n}")
    full_name_en = factory.Sequence(lambda n: f"Mr Test Foreigner{n}")


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    role = User.Role.STAFF
    agency = factory.SubFactory(AgencyFactory)
    full_name_th = factory.Sequence(lambda n: f"เจ้าหน้าที่ {n}")
    password = factory.django.Password("officer-pass-1234")

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Staff roles (group names); an agency officer unless told otherwise."""
        if create:
            grant_roles(obj, extracted if extracted is not None else [StaffRole.AGENCY_OFFICER])


def grant_roles(user: User, roles: Any) -> None:
    from django.contrib.auth.models import Group

    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=str(role))[0])
    user.__dict__.pop("staff_roles", None)


class StaffFactory(OfficerFactory):
    """Staff without an agency (counter officer, executive, platform admin)."""

    username = factory.Sequence(lambda n: f"staff{n}")
    agency = None


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    service = factory.SubFactory(ServiceFactory)
    agency = factory.LazyAttribute(lambda o: o.service.agency)
    applicant = factory.SubFactory(ApplicantFactory)
    party = factory.LazyAttribute(lambda o: o.applicant.party)
    holder_id = factory.LazyAttribute(lambda o: o.party.key)
    holder_name_th = factory.LazyAttribute(lambda o: o.party.name_th)
    data = factory.LazyFunction(dict)

    class Params:
        submitted = factory.Trait(
            status="submitted",
            reference=factory.Sequence(lambda n: f"BP-2569-9{n:05d}"),
            submitted_at=factory.LazyFunction(timezone.now),
            terms_accepted_at=factory.LazyFunction(timezone.now),
        )


def valid_food_shop_answers(applicant: User) -> dict[str, Any]:
    return {
        "applicant_name": applicant.full_name_th,
        "applicant_citizen_id": applicant.citizen_id,
        "phone": "0812345678",
        "email": applicant.email,
        "business_name": "ร้านข้าวแกงป้าศรี",
        "business_address": "12 ซอยอารีย์ 1 แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400",
        "area_sqm": 120,
        "seats": 40,
        "manager_citizen_id": citizen_id(777),
        "premises": "owned",
    }


def juristic_id(n: int) -> str:
    from stdnum.th import moa

    first12 = f"0105{n:08d}"
    return first12 + moa.calc_check_digit(first12)


class CompanyFactory(factory.django.DjangoModelFactory):
    """A company as the juristic registry last listed it; ``directors`` are accounts."""

    class Meta:
        model = Party
        skip_postgeneration_save = True

    kind = Party.Kind.JURISTIC
    key = factory.Sequence(lambda n: juristic_id(n + 500))
    name_th = factory.Sequence(lambda n: f"บริษัท ทดสอบ {n} จำกัด")
    name_en = factory.Sequence(lambda n: f"Test {n} Company Limited")
    registry_status = "active"

    @factory.post_generation
    def directors(obj: Party, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The directors, here and in the sandbox juristic registry (which submission
        reads again over HTTP: tests that submit need the ``live`` server)."""
        from bizportal.registries.models import SandboxJuristicPerson

        ids = [director.citizen_id for director in extracted or []]
        Directorship.objects.bulk_create([Directorship(party=obj, citizen_id=i) for i in ids])
        SandboxJuristicPerson.objects.create(
            juristic_id=obj.key,
            name_th=obj.name_th,
            name_en=obj.name_en,
            registration_date=timezone.localdate(),
            director_citizen_ids=ids,
            signing_rule=obj.signing_rule,
            province="กรุงเทพมหานคร",
        )


def give_mandate(
    grantor: User,
    delegate: User,
    *,
    party: Party | None = None,
    actions: list[str] | None = None,
    services: list[Service] | None = None,
    accept: bool = True,
) -> Mandate:
    """A mandate from ``grantor`` (for themselves, or as director of ``party``) to
    ``delegate``, accepted unless told otherwise."""
    import datetime as dt

    from bizportal.identity.acting import Acting
    from bizportal.identity.services import answer_mandate, grant_mandate

    party = party or grantor.party
    basis = "self" if party.pk == grantor.party_id else "director"
    today = timezone.localdate()
    mandate = grant_mandate(
        Acting(grantor, party, basis),  # type: ignore[arg-type]
        delegate=delegate.citizen_id or f"P:{delegate.nationality}:{delegate.passport_no}",
        actions=actions or ["prepare", "submit", "pay", "view", "receive"],
        valid_from=today,
        valid_until=today + dt.timedelta(days=365),
        services=services,
    )
    if accept:
        mandate = answer_mandate(mandate, delegate, accept=True)
    return mandate


def verify_second_factor(client: Any, user: User) -> None:
    """Mark ``client``'s session as having passed the staff second factor (TOTP), as
    the MFA page does after a right code: django-otp's verified device and AAL 2.

    ``tests/conftest.py`` calls it after every ``client.force_login`` of a staff
    account, so tests that are not about sign-in need not type codes.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bizportal.identity.acting import AAL_SESSION_KEY

    device = TOTPDevice.objects.filter(
        user=user, confirmed=True
    ).first() or TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[AAL_SESSION_KEY] = 2
    session.save()


@dataclass
class AgencyStaff:
    """An agency's service and its staff of every role, plus staff who are not its own:
    who may edit, review or only look at the agency's services."""

    service: Service
    admin: User
    second_admin: User
    supervisor: User
    officer: User
    outsider: User
    platform: User


def agency_with_staff() -> AgencyStaff:
    home = AgencyFactory()
    return AgencyStaff(
        service=ServiceFactory(agency=home),
        admin=OfficerFactory(agency=home, roles=[StaffRole.AGENCY_ADMIN]),
        second_admin=OfficerFactory(agency=home, roles=[StaffRole.AGENCY_ADMIN]),
        supervisor=OfficerFactory(agency=home, roles=[StaffRole.AGENCY_SUPERVISOR]),
        officer=OfficerFactory(agency=home),
        outsider=OfficerFactory(agency=AgencyFactory(), roles=[StaffRole.AGENCY_ADMIN]),
        platform=StaffFactory(roles=[StaffRole.PLATFORM_ADMIN]),
    )
