"""Load the Thai demo data and print the demo logins."""

from __future__ import annotations

import contextlib
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from bizportal.core import demo


class Command(BaseCommand):
    help = "Load Thai demo data (every app's demo loader, in order) and print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins: list[demo.DemoLogin] = []
        with demo.loading():
            for entry in demo.registered():
                with transaction.atomic() if entry.atomic else contextlib.nullcontext():
                    logins.extend(entry.load())
                if options["verbosity"] > 1:
                    self.stdout.write(f"loaded demo data: {entry.name}")
        out = self.stdout
        out.write("")
        out.write("=" * 72)
        out.write(f" Biz Portal demo: {settings.BASE_URL}/")
        out.write("=" * 72)
        for group, members in groupby(logins, key=lambda login: login.group):
            out.write(f" {group}")
            for login in members:
                out.write(f"   {login.login:<16} password {login.password}  {login.note}")
        out.write("=" * 72)
