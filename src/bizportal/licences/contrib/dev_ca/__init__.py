"""Licence signer plugin ``dev_ca``: the embedded development CA (see :mod:`.ca`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from bizportal.licences.signers import default_timestamper, signers

from . import ca

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

    from bizportal.catalog.models import Agency


def _asn1_certificate(pair: ca.KeyPair) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pair.certificate.public_bytes(serialization.Encoding.DER))


@signers.register("dev_ca")
class DevelopmentCA:
    """Signs with per-agency keys from the on-disk development CA."""

    def signer_for(self, agency: Agency) -> SimpleSigner:
        organisation = agency.name_en.strip() or agency.code
        pair, root = ca.ensure_agency(agency.code, organisation)
        key_der = pair.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return SimpleSigner(
            signing_cert=_asn1_certificate(pair),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(root)]),
        )

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        return [_asn1_certificate(ca.ensure_root())]

    def timestamper(self) -> TimeStamper:
        """The sandbox TSA (``python -m bizportal.sandbox_trust``) at LICENCE_TRUST_URL."""
        return default_timestamper()
