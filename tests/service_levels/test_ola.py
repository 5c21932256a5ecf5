"""Each agency step's OLA: ``biz:olaDays`` on the BPMN step, checked at upload, used by
the step clock; without it, the citizen manual's longest stage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from freezegun import freeze_time

import bizportal.workflow
from bizportal.service_levels import calendar, selectors
from bizportal.service_levels import services as sla
from bizportal.workflow import services as workflow
from bizportal.workflow.engine import StepSpec
from bizportal.workflow.steps import check_step
from tests import journeys
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

STANDARD = Path(bizportal.workflow.__file__).with_name("bpmn") / "standard_licence.bpmn"


def spec(step_type: str, ola: str) -> StepSpec:
    return StepSpec(id="s", name="s", type=step_type, lane="", options={"olaDays": ola})


def test_ola_days_are_checked_when_a_process_is_uploaded() -> None:
    assert not [p for p in check_step(spec("payment", "")) if "olaDays" in p]
    for bad in ("0", "-1", "ten", "2001", "١٠"):
        assert any("olaDays must be a whole number" in p for p in check_step(spec("payment", bad)))
    # The applicant's own steps run on the applicant's time: no OLA.
    assert any("agency's steps" in p for p in check_step(spec("applicant-data", "3")))


def test_a_declared_ola_sets_the_step_target(admin_user) -> None:
    source = STANDARD.read_text().replace(
        'biz:taskType="officer-review"', 'biz:taskType="officer-review" biz:olaDays="4"', 1
    )
    workflow.publish_version(workflow.upload_version(source, actor=admin_user), actor=admin_user)
    with freeze_time(dt.datetime(2026, 4, 9, 3, tzinfo=dt.UTC)):
        application = journeys.submitted(ServiceFactory())
        sla.refresh_clock(application)
    [review] = selectors.step_clocks(application)
    assert (review.step, review.ola_days, review.completed_at) == ("review", 4, None)
    # Thursday 9 April 2026 + 4 working days, over Chakri Day and Songkran: 20 April.
    assert review.due_on == calendar.add_working_days(dt.date(2026, 4, 9), 4)
    assert review.due_on == dt.date(2026, 4, 20)
