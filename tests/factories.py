"""Test data builders with traits, shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from stdnum.th import pin

from bizportal.applications.models import Application
from bizportal.catalog import demo
from bizportal.catalog.models import Agency, Service
from bizportal.identity.models import User


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


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"officer{n}")
    role = User.Role.OFFICER
    agency = factory.SubFactory(AgencyFactory)
    full_name_th = factory.Sequence(lambda n: f"เจ้าหน้าที่ {n}")
    password = factory.django.Password("officer-pass-1234")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    service = factory.SubFactory(ServiceFactory)
    agency = factory.LazyAttribute(lambda o: o.service.agency)
    applicant = factory.SubFactory(ApplicantFactory)
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
