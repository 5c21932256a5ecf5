"""A licence is issued exactly once per application, however often the issue is retried
or raced, and a retry never uses up a number of the gap-free counter."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bizportal.catalog.models import Service
from bizportal.core.models import Sequence
from bizportal.identity.models import User
from bizportal.licences.models import Licence, LicenceVersion, VersionKind
from bizportal.licences.services import issue_licence, issue_version

from .conftest import draft


def _counter(service: Service) -> int:
    return Sequence.objects.get(prefix=service.licence_prefix).last


def test_a_retried_issue_takes_no_number(service: Service, applicant: User) -> None:
    first = issue_licence(draft(service, applicant, application_reference="AG-2569-000777"))
    again = issue_licence(draft(service, applicant, application_reference="AG-2569-000777"))
    following = issue_licence(draft(service, applicant, application_reference="AG-2569-000778"))

    assert again.pk == first.pk
    assert Licence.objects.count() == 2
    assert _counter(service) == 2  # the retry burned nothing: the next licence is No. 2
    assert following.number.endswith("-000002")


def test_a_retried_version_is_issued_once(service: Service, applicant: User) -> None:
    licence = issue_licence(draft(service, applicant))
    change = draft(service, applicant, application_reference="AG-2569-000900")
    issue_version(licence, change, VersionKind.AMEND)
    again = issue_version(licence, change, VersionKind.AMEND)

    assert again.version == 2
    assert LicenceVersion.objects.filter(licence=licence).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_issuing_for_one_application_at_once_make_one_licence(
    service: Service, applicant: User
) -> None:
    """Two threads, two database connections, one application reference: the second
    waits on the counter's lock, then finds the first one's licence."""
    same = draft(service, applicant, application_reference="AG-2569-000555")
    start = threading.Barrier(2)
    issued: list[str] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            start.wait(timeout=10)
            issued.append(issue_licence(same).number)
        except BaseException as error:  # reported below, with the thread's own error
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(issued) == 2 and issued[0] == issued[1]
    assert Licence.objects.count() == 1
    assert LicenceVersion.objects.filter(application_reference="AG-2569-000555").count() == 1
    assert _counter(service) == 1
