"""``manage.py licences_dev_ca``: create (if needed) and show the development CA.

Operators use it to hand the root certificate to whoever must trust demo licences
(e.g. import it into a PDF reader) and to pre-create agency certificates.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from django.core.management.base import BaseCommand, CommandError

from bizportal.catalog.models import Agency
from bizportal.licences.contrib.dev_ca import ca


class Command(BaseCommand):
    help = (
        "Create the development licence-signing CA under LICENCE_KEY_DIR "
        "and print its root certificate."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--agencies", action="store_true", help="also create a signing certificate per agency"
        )
        parser.add_argument("--pem", action="store_true", help="print the root certificate in PEM")
        parser.add_argument(
            "--revoke-agency",
            metavar="CODE",
            help="revoke that agency's signing certificate (the sandbox OCSP/CRL report it; "
            "its next licence gets a new certificate)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = ca.ensure_root()
        certificate = root.certificate
        self.stdout.write(f"key directory: {ca.key_dir()}")
        self.stdout.write(f"root: {certificate.subject.rfc4514_string()}")
        start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        self.stdout.write(f"  valid {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":")
        self.stdout.write(f"  SHA-256 fingerprint {fingerprint}")
        if options["agencies"]:
            agencies = list(Agency.objects.order_by("code"))
            if not agencies:
                raise CommandError("no agencies in the database; load the catalogue first")
            for agency in agencies:
                pair, _ = ca.ensure_agency(agency.code, agency.name_en.strip() or agency.code)
                self.stdout.write(
                    f"agency {agency.code}: {pair.certificate.subject.rfc4514_string()}"
                )
        if options["revoke_agency"]:
            serial = ca.revoke_agency(options["revoke_agency"])
            if serial is None:
                raise CommandError(f"agency {options['revoke_agency']} has no certificate yet")
            self.stdout.write(f"revoked agency {options['revoke_agency']}: serial {serial:x}")
        if options["pem"]:
            self.stdout.write(certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
