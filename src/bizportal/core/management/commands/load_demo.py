"""Load the Thai demo data and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load Thai demo data (agencies, services, people, officers) and print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        from bizportal.backoffice import demo as staff
        from bizportal.catalog import demo as catalog
        from bizportal.registries import demo as registries
        from bizportal.sandbox_idp import demo as idp

        with transaction.atomic():
            catalog.seed()
            identities = idp.seed()
            registries.seed()
            officers = staff.seed()
        out = self.stdout
        out.write("")
        out.write("=" * 72)
        out.write(f" Biz Portal demo: {settings.BASE_URL}/")
        out.write("=" * 72)
        out.write(" Entrepreneurs (sign in with Digital ID: the sandbox provider)")
        for identity in identities:
            out.write(
                f"   citizen ID {identity.citizen_id}  password {identity.password}"
                f"  {identity.name_th}"
            )
        out.write(" Agency officers (Officers → /backoffice/login/)")
        for officer in officers:
            out.write(f"   {officer.username:<16} password {officer.password}  {officer.agency}")
        out.write("=" * 72)
