"""Reaching a PKCS#11 token: configuration, sessions, and the objects an agency owns.

Everything that talks to the module directly lives here, so that the failures an
operator can cause (wrong module path, token label, PIN, key label) are turned into one
exception type, :class:`HsmError`, whose message names the setting to fix. Raw
``pkcs11`` exceptions carry no message at all (``PinIncorrect()`` prints as nothing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.util.ec import encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import find_token

DEFAULT_KEY_LABEL = "licence-{agency}"
PIN_VARIABLE = "LICENCE_PKCS11_PIN"

# Errors after which a session is worth reopening once: the token was restarted,
# unplugged or its session table flushed. Anything else (a PIN, a missing key) would
# fail the same way again.
SESSION_GONE = (
    pkcs11.exceptions.SessionHandleInvalid,
    pkcs11.exceptions.SessionClosed,
    pkcs11.exceptions.DeviceRemoved,
    pkcs11.exceptions.DeviceError,
    pkcs11.exceptions.TokenNotPresent,
    pkcs11.exceptions.TokenNotRecognised,
    pkcs11.exceptions.UserNotLoggedIn,
    pkcs11.exceptions.GeneralError,
)


class HsmError(RuntimeError):
    """The HSM cannot sign for an agency; the message says what to fix."""


@dataclass(frozen=True)
class TokenConfig:
    """Where the agencies' keys are: module, token, PIN and the key label pattern."""

    module: str
    token: str
    pin: str
    key_label: str

    @classmethod
    def from_settings(cls) -> TokenConfig:
        """Read the settings now (tests and operators change them without a restart).

        The PIN is read from the environment only (``LICENCE_PKCS11_PIN`` or the file
        named by ``LICENCE_PKCS11_PIN_FILE``), never from settings, so that it does not
        appear in Django's settings dumps: Django's filter of secret-looking setting
        names does not recognise "PIN".
        """
        module = str(getattr(settings, "LICENCE_PKCS11_MODULE", "") or "")
        token = str(getattr(settings, "LICENCE_PKCS11_TOKEN", "") or "")
        key_label = str(getattr(settings, "LICENCE_PKCS11_KEY_LABEL", "") or DEFAULT_KEY_LABEL)
        if not module:
            raise ImproperlyConfigured(
                "the pkcs11 licence signer needs LICENCE_PKCS11_MODULE (the path of the "
                "PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)"
            )
        if not Path(module).is_file():
            raise ImproperlyConfigured(
                f"LICENCE_PKCS11_MODULE is {module!r}, which is not a file; install the "
                "HSM vendor's PKCS#11 library or correct the path"
            )
        if not token:
            raise ImproperlyConfigured(
                "the pkcs11 licence signer needs LICENCE_PKCS11_TOKEN (the label of the "
                "token holding the agencies' keys)"
            )
        label_for(key_label, "x")  # a broken pattern fails here, before any session
        return cls(module=module, token=token, pin=read_pin(), key_label=key_label)

    def label_for(self, agency_code: str) -> str:
        return label_for(self.key_label, agency_code)


def read_pin() -> str:
    """The user PIN from ``LICENCE_PKCS11_PIN`` or ``LICENCE_PKCS11_PIN_FILE``."""
    file_name = os.environ.get(f"{PIN_VARIABLE}_FILE", "")
    value = os.environ.get(PIN_VARIABLE, "")
    if file_name and value:
        raise ImproperlyConfigured(f"Set {PIN_VARIABLE} or {PIN_VARIABLE}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{PIN_VARIABLE}_FILE names {file_name!r}, which cannot be read: {error.strerror}"
            ) from error
    if not value:
        raise ImproperlyConfigured(
            f"the pkcs11 licence signer needs {PIN_VARIABLE} (or {PIN_VARIABLE}_FILE) "
            "(the token's user PIN) in the environment"
        )
    return value


def label_for(pattern: str, agency_code: str) -> str:
    """The key and certificate label of an agency: ``pattern`` with ``{agency}`` filled in.

    One documented rule instead of a mapping table: adding an agency needs a key on
    the token under the predictable label, no configuration change.
    """
    if "{agency}" not in pattern:
        raise ImproperlyConfigured(
            f"LICENCE_PKCS11_KEY_LABEL is {pattern!r}; it must contain {{agency}}, "
            "which is replaced by the agency code (e.g. 'licence-{agency}')"
        )
    try:
        return pattern.format(agency=agency_code)
    except (KeyError, IndexError, ValueError) as error:
        raise ImproperlyConfigured(
            f"LICENCE_PKCS11_KEY_LABEL is {pattern!r}; only the field {{agency}} may "
            f"appear in it ({error!r})"
        ) from None


def load_module(config: TokenConfig) -> Any:
    """The loaded PKCS#11 library (python-pkcs11 keeps one per path and process)."""
    try:
        return pkcs11.lib(config.module)
    except pkcs11.PKCS11Error as error:
        raise HsmError(
            f"the PKCS#11 module LICENCE_PKCS11_MODULE={config.module!r} could not be "
            f"loaded: {error}"
        ) from error


def token_labels(lib: Any) -> list[str]:
    """Labels of the tokens the module offers, for error messages."""
    try:
        return sorted(slot.get_token().label for slot in lib.get_slots(token_present=True))
    except pkcs11.PKCS11Error:
        return []


def open_session(config: TokenConfig, *, rw: bool = False) -> pkcs11.Session:
    """A session on the configured token, logged in as its user.

    The same steps as ``pyhanko.sign.pkcs11.open_pkcs11_session`` (``find_token`` with
    a ``TokenCriteria``), taken one at a time so that each failure gets its own message,
    and with ``rw`` for provisioning.
    """
    lib = load_module(config)
    try:
        token = find_token(lib.get_slots(), token_criteria=TokenCriteria(label=config.token))
    except pkcs11.PKCS11Error as error:
        raise HsmError(f"the PKCS#11 module could not list its tokens: {error!r}") from error
    if token is None:
        offered = ", ".join(repr(label) for label in token_labels(lib)) or "none"
        raise HsmError(
            f"no token labelled {config.token!r} (LICENCE_PKCS11_TOKEN) in the PKCS#11 "
            f"module {config.module}; tokens present: {offered}"
        )
    try:
        return token.open(rw=rw, user_pin=config.pin)
    except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinInvalid) as error:
        raise HsmError(
            f"the token {config.token!r} refused the PIN in {PIN_VARIABLE}: incorrect PIN"
        ) from error
    except pkcs11.exceptions.PinLenRange as error:
        raise HsmError(
            f"the token {config.token!r} refused the PIN in {PIN_VARIABLE}: wrong length"
        ) from error
    except (pkcs11.exceptions.PinLocked, pkcs11.exceptions.PinExpired) as error:
        raise HsmError(
            f"the user PIN of token {config.token!r} is locked or expired; the security "
            "officer must reset it"
        ) from error
    except pkcs11.PKCS11Error as error:
        raise HsmError(
            f"could not open a session on token {config.token!r}: {type(error).__name__}"
        ) from error


def find_objects(
    session: pkcs11.Session, object_class: ObjectClass, label: str
) -> list[pkcs11.Object]:
    """Every object of ``object_class`` labelled ``label`` (the search runs to its end)."""
    return list(session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label}))


def agency_certificate(
    session: pkcs11.Session, config: TokenConfig, agency_code: str
) -> asn1_x509.Certificate:
    """The agency's certificate on the token, after checking its private key is there.

    Looking both up before pyHanko does gives an error naming the agency rather than
    pyHanko's "Could not find private key with label ..." halfway through a signature.
    """
    label = config.label_for(agency_code)
    keys = [
        key for key in find_objects(session, ObjectClass.PRIVATE_KEY, label) if key[Attribute.SIGN]
    ]
    if not keys:
        raise HsmError(
            f"no signing key labelled {label!r} for agency {agency_code} on token "
            f"{config.token!r}; put the agency's key there under that label "
            "(LICENCE_PKCS11_KEY_LABEL) or sign with another store"
        )
    if len(keys) > 1:
        raise HsmError(
            f"{len(keys)} signing keys are labelled {label!r} on token {config.token!r} "
            f"(agency {agency_code}); exactly one is needed"
        )
    certificates = find_objects(session, ObjectClass.CERTIFICATE, label)
    if len(certificates) != 1:
        found = "no" if not certificates else str(len(certificates))
        raise HsmError(
            f"{found} certificates labelled {label!r} for agency {agency_code} on token "
            f"{config.token!r}; import exactly one, the one the CA issued for its key"
        )
    return asn1_x509.Certificate.load(certificates[0][Attribute.VALUE])


def import_key_and_certificate(
    session: pkcs11.Session,
    label: str,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    *,
    replace: bool = False,
) -> bytes:
    """Store an EC key (non-extractable) and its certificate under ``label``.

    Both objects get the certificate's subject key identifier as ``CKA_ID``, which is
    how PKCS#11 tools pair a key with its certificate. Returns that ID. Only for
    sandboxes: a production key is generated inside the HSM and never leaves it.
    """
    existing = find_objects(session, ObjectClass.PRIVATE_KEY, label) + find_objects(
        session, ObjectClass.CERTIFICATE, label
    )
    if existing and not replace:
        raise HsmError(f"the token already holds objects labelled {label!r}")
    for item in existing:
        item.destroy()
    identifier = x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    curve_size = (key.curve.key_size + 7) // 8
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.PRIVATE_KEY,
            Attribute.KEY_TYPE: KeyType.EC,
            Attribute.EC_PARAMS: encode_named_curve_parameters(key.curve.name),
            Attribute.VALUE: key.private_numbers().private_value.to_bytes(curve_size, "big"),
            Attribute.LABEL: label,
            Attribute.ID: identifier,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
        }
    )
    attributes = decode_x509_certificate(certificate.public_bytes(serialization.Encoding.DER))
    attributes.update({Attribute.LABEL: label, Attribute.ID: identifier, Attribute.TOKEN: True})
    session.create_object(attributes)
    return identifier
