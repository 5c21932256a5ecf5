"""``manage.py licence_keys``: the agencies' signing keys on a PKCS#11 token.

``check`` tells an operator, per agency, whether the token holds its key and
certificate under the expected label (after a key ceremony, before switching
``LICENCE_SIGNER`` to ``pkcs11``). ``import-to-token`` copies development CA keys into
a SoftHSM2 token so demos and tests sign through the same PKCS#11 path as production;
it refuses to run outside the demo profile, because a production key is generated
inside the HSM and never exists anywhere else (see the operator guide).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from bizportal.catalog.models import Agency
from bizportal.licences.contrib.dev_ca import ca
from bizportal.licences.contrib.pkcs11 import HsmError, Pkcs11KeyStore, TokenConfig
from bizportal.licences.contrib.pkcs11.token import (
    agency_certificate,
    import_key_and_certificate,
    open_session,
)
from bizportal.licences.signers import signers


class Command(BaseCommand):
    help = (
        "Check or (sandboxes only) provision the agencies' licence signing keys on a PKCS#11 token."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        check = actions.add_parser(
            "check", help="report, per agency, the key and certificate found on the token"
        )
        check.add_argument("--agency", action="append", default=[], metavar="CODE")
        provision = actions.add_parser(
            "import-to-token",
            help="copy development CA keys and certificates into a sandbox token (demo profile)",
        )
        provision.add_argument("--agency", action="append", default=[], metavar="CODE")
        provision.add_argument("--all", action="store_true", help="every agency in the database")
        provision.add_argument(
            "--replace", action="store_true", help="replace objects already under the label"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = TokenConfig.from_settings()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        # The token allows one login per process: let go of the signer's session first.
        store = signers["pkcs11"]
        if isinstance(store, Pkcs11KeyStore):
            store.close()
        try:
            if options["action"] == "import-to-token":
                self._import(config, self._agencies(options["agency"], options["all"]), options)
            else:
                self._check(config, self._agencies(options["agency"], not options["agency"]))
        except HsmError as error:
            raise CommandError(str(error)) from error

    def _agencies(self, codes: list[str], everything: bool) -> list[Agency]:
        if everything:
            agencies = list(Agency.objects.order_by("code"))
            if not agencies:
                raise CommandError("no agencies in the database; load the catalogue first")
            return agencies
        if not codes:
            raise CommandError("name an agency with --agency CODE (or --all)")
        found = {agency.code: agency for agency in Agency.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise CommandError(f"no agency with code {', '.join(missing)}")
        return [found[code] for code in codes]

    def _import(self, config: TokenConfig, agencies: list[Agency], options: dict[str, Any]) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "import-to-token copies development CA keys and is for sandboxes only; in "
                "production generate each key inside the HSM (operator guide, 'Signing keys')"
            )
        with open_session(config, rw=True) as session:
            for agency in agencies:
                pair, _root = ca.ensure_agency(agency.code, agency.name_en.strip() or agency.code)
                label = config.label_for(agency.code)
                identifier = import_key_and_certificate(
                    session, label, pair.key, pair.certificate, replace=options["replace"]
                )
                self.stdout.write(
                    f"agency {agency.code}: key and certificate imported as {label!r} "
                    f"(id {identifier.hex()}) on token {config.token!r}"
                )

    def _check(self, config: TokenConfig, agencies: list[Agency]) -> None:
        problems = 0
        with open_session(config) as session:
            for agency in agencies:
                try:
                    certificate = agency_certificate(session, config, agency.code)
                except HsmError as error:
                    problems += 1
                    self.stdout.write(f"agency {agency.code}: MISSING: {error}")
                    continue
                valid = certificate["tbs_certificate"]["validity"]
                self.stdout.write(
                    f"agency {agency.code}: {config.label_for(agency.code)!r} ok, "
                    f"{certificate.subject.human_friendly}, valid until "
                    f"{valid['not_after'].native:%Y-%m-%d}"
                )
        if problems:
            raise CommandError(f"{problems} of {len(agencies)} agencies cannot sign from the token")
