"""The shipped questionnaire, loaded after the catalogue it recommends from."""

from __future__ import annotations

from bizportal.core import demo

from . import services


@demo.loader("advisor", order=12)
def load_demo() -> list[demo.DemoLogin]:
    services.load_questionnaire()
    return []
