"""Signed checkpoints of the audit chain, and checking the chain against them.

The hash chain alone shows an edited, removed or inserted row, but not a chain
rewritten from some row on with every hash recomputed, nor rows cut off at the end.
A checkpoint fixes the chain's head (last ``seq`` and its hash) at a moment under a
signature the database cannot forge: ``manage.py anchor_audit`` writes one on a
schedule, ``manage.py verify_audit`` checks the chain and every checkpoint.

Why a key of our own: the licence signers are per agency and sign PDFs through a
pluggable key store in ``licences`` (which ``core`` may not import), and there is no
timestamping authority configured. So the key is an Ed25519 or ECDSA P-256 private key
in PEM from the environment (``AUDIT_SIGNING_KEY`` or ``AUDIT_SIGNING_KEY_FILE``);
earlier keys' public halves (``AUDIT_VERIFY_KEY_FILES``) keep old checkpoints
verifiable after a rotation. Without a key, only a demo deployment (``DJANGO_DEBUG`` or
the demo profile, ``BIZPORTAL_PROFILE``) gets a generated key under ``BIZPORTAL_VAR_DIR``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.utils import timezone

from . import audit
from .models import AuditCheckpoint, AuditEvent

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
#: Domain separation: a signature over a checkpoint is never valid for anything else.
PURPOSE = "bizportal-audit-checkpoint/1"
DEMO_KEY_NAME = "audit-demo-signing-key.pem"


def _demo_mode() -> bool:
    return bool(settings.DEBUG or getattr(settings, "BIZPORTAL_DEMO", False))


def signing_key() -> PrivateKey:
    """The configured private key; a generated one only in a demo (else a clear error)."""
    pem = getattr(settings, "AUDIT_SIGNING_KEY", "")
    path = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    if path:
        pem = Path(path).read_text()
    if not pem:
        if not _demo_mode():
            raise ImproperlyConfigured(
                "Set AUDIT_SIGNING_KEY_FILE (or AUDIT_SIGNING_KEY) to a PEM Ed25519 or "
                "ECDSA P-256 private key: audit checkpoints are never signed with a "
                "built-in key outside DJANGO_DEBUG or the demo profile (BIZPORTAL_PROFILE=demo)."
            )
        return _demo_key()
    return _load_private(pem.encode())


def _load_private(data: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ImproperlyConfigured("The audit signing key must be Ed25519 or ECDSA P-256.")


def _demo_key() -> PrivateKey:
    """Made once per demo installation, kept beside the SQLite file (mode 0600)."""
    path = Path(settings.VAR_DIR) / DEMO_KEY_NAME
    if path.exists():
        return _load_private(path.read_bytes())
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def key_id(public: PublicKey) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "Ed25519"
    return "ECDSA-SHA256"


def verifying_keys() -> dict[str, PublicKey]:
    """Public keys by key id: the signing key's, and earlier keys' from files."""
    keys: dict[str, PublicKey] = {}
    for path in getattr(settings, "AUDIT_VERIFY_KEY_FILES", []):
        public = serialization.load_pem_public_key(Path(path).read_bytes())
        if isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
            keys[key_id(public)] = public
    try:
        current = signing_key().public_key()
    except ImproperlyConfigured:
        return keys
    keys[key_id(current)] = current
    return keys


def statement(checkpoint: AuditCheckpoint) -> bytes:
    """What is signed: the purpose, the head of the chain, the time and the key."""
    content = {
        "purpose": PURPOSE,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "algorithm": checkpoint.algorithm,
        "key_id": checkpoint.key_id,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def _sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def sign(data: bytes) -> tuple[str, str, bytes]:
    """``(algorithm, key id, signature)`` over ``data`` with the platform's key, for other
    append-only logs (the exchange's message log). Callers put their own purpose string
    in ``data``, so a signature is never valid for anything else."""
    key = signing_key()
    return _algorithm(key), key_id(key.public_key()), _sign(key, data)


def signature_holds(key: str, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies under the platform key ``key`` (the
    current one or an earlier one kept for verification)."""
    public = verifying_keys().get(key)
    return public is not None and _signature_holds(public, signature, data)


def _signature_holds(public: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, data)
        else:
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


class ChainBroken(Exception):
    """The chain does not verify: nothing is anchored on top of a broken chain."""


@dataclass
class Anchored:
    checkpoint: AuditCheckpoint | None
    checked: int
    reason: str = ""


def anchor() -> Anchored:
    """Verify the rows since the last checkpoint and sign the chain's head.

    The chain lock is held while the head is read and the checkpoint written, so the
    head cannot move underneath; nothing is written when nothing was appended since
    the last checkpoint. The checkpoint is not itself an audit row (that row would be
    new at every run): the checkpoint table is append-only like the audit table.
    """
    key = signing_key()
    public = key.public_key()
    using = router.db_for_write(AuditCheckpoint)
    with transaction.atomic(using=using):
        audit.lock_chain(using)
        last = AuditCheckpoint.objects.order_by("-seq", "-at").first()
        start = (last.seq, last.hash) if last is not None else (0, audit.GENESIS)
        checked, broken = audit.verify_chain(start=start)
        if broken is not None:
            raise ChainBroken(broken.detail)
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        if head is None:
            return Anchored(None, checked, "the audit trail is empty")
        if last is not None and last.seq == head[0]:
            return Anchored(None, checked, f"nothing new since checkpoint {last.seq}")
        checkpoint = AuditCheckpoint(
            seq=head[0],
            hash=head[1],
            at=timezone.now(),
            algorithm=_algorithm(key),
            key_id=key_id(public),
        )
        checkpoint.signature = base64.b64encode(_sign(key, statement(checkpoint))).decode()
        checkpoint.save(force_insert=True, using=using)
    return Anchored(checkpoint, checked)


@dataclass
class Report:
    checked: int
    broken: audit.Break | None
    checkpoints: int
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.checkpoint_problems


def verify() -> Report:
    """The whole chain, then every checkpoint: signed by a known key, and naming a row
    that still exists with the same hash."""
    checked, broken = audit.verify_chain()
    keys = verifying_keys()
    problems: list[str] = []
    checkpoints = 0
    for checkpoint in AuditCheckpoint.objects.order_by("seq", "at").iterator():
        checkpoints += 1
        problems.extend(_checkpoint_problems(checkpoint, keys))
    return Report(checked, broken, checkpoints, problems)


def _checkpoint_problems(checkpoint: AuditCheckpoint, keys: dict[str, Any]) -> list[str]:
    name = f"checkpoint {checkpoint.pk} (row {checkpoint.seq}, {checkpoint.at:%Y-%m-%d %H:%M})"
    public = keys.get(checkpoint.key_id)
    if public is None:
        return [f"{name}: signed by an unknown key {checkpoint.key_id[:16]}…"]
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError:
        return [f"{name}: the signature is not base64"]
    if not _signature_holds(public, signature, statement(checkpoint)):
        return [f"{name}: the signature does not match (the checkpoint was altered)"]
    row = AuditEvent.objects.filter(seq=checkpoint.seq).values_list("hash", flat=True).first()
    if row is None:
        return [f"{name}: row {checkpoint.seq} no longer exists (rows removed)"]
    if row != checkpoint.hash:
        return [f"{name}: row {checkpoint.seq} has another hash now (chain rewritten)"]
    return []
