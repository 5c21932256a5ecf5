"""The licence document: render to PDF/A-3b with its JSON, sign (PAdES), read back.

Order matters. WeasyPrint writes the PDF/A-3b file with ``licence.json`` attached;
pyHanko then appends the signature as an incremental update, so the attachment is
inside the signed revision. Adding anything after signing would leave the signature
covering only an earlier revision, which verification reports as a changed file.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers as pyhanko_signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

from bizportal.catalog.models import Agency
from bizportal.core import safejson
from bizportal.core.pdf import render_pdf

from . import pades
from .signers import current_signer

logger = logging.getLogger(__name__)

PAYLOAD_NAME = "licence.json"
#: The schema URL itself is served by the portal (``credentials.payload_schema_url``).
PAYLOAD_SCHEMA_VERSION = 1
CREDENTIAL_NAME = "licence.vc.jwt"
CREDENTIAL_MEDIA_TYPE = "application/vc+jwt"
PDF_VARIANT = "pdf/a-3b"
SIGNATURE_FIELD = "LicenceSignature"
TEMPLATE = "licences/licence_pdf.html"


def verify_url(number: str, version: int | None = None, *, code: str = "") -> str:
    """The public page a QR code on the licence leads to: the version printed on it, so
    a scan of an old paper says it was superseded and points at the current one. With
    the licence's check ``code`` in the link, a scan shows the holder's details too."""
    if version is None:
        url = settings.BASE_URL + reverse("licences:verify-number", args=[number])
    else:
        url = settings.BASE_URL + reverse("licences:verify-version", args=[number, version])
    return f"{url}?{urlencode({'code': code})}" if code else url


def qr_code(url: str) -> segno.QRCode:
    """The QR printed on the licence; error level M survives a crease or a stamp."""
    return segno.make_qr(url, error="m")


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """Stable UTF-8 JSON (sorted keys), readable as Thai in any text editor."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")


def render_licence_pdf(
    context: dict[str, Any], payload: dict[str, Any], *, credential: str = ""
) -> bytes:
    """The unsigned PDF/A-3b with the payload embedded as an associated file, and the
    version's Verifiable Credential (a compact JWS) as a second one when given."""
    from weasyprint import Attachment

    attachments = [
        Attachment(
            string=payload_bytes(payload),
            name=PAYLOAD_NAME,
            description="Machine-readable licence data / ข้อมูลใบอนุญาตสำหรับเครื่อง",
            relationship="Data",
        )
    ]
    if credential:
        attachments.append(
            # A data: URL is how WeasyPrint takes an attachment's media type (the
            # embedded file's /Subtype); a plain string would be guessed from the name.
            Attachment(
                url=f"data:{CREDENTIAL_MEDIA_TYPE};base64,"
                + base64.b64encode(credential.encode("ascii")).decode("ascii"),
                name=CREDENTIAL_NAME,
                description="Verifiable Credential (VC-JOSE) / ใบอนุญาตแบบ Verifiable Credential",
                relationship="Data",
            )
        )
    qr = qr_code(payload["verify_url"])
    context = {
        **context,
        "qr_data_uri": qr.svg_data_uri(scale=4, border=4, dark="#000", light="#fff"),
    }
    return render_pdf(TEMPLATE, context, pdf_variant=PDF_VARIANT, attachments=attachments)


def sign_licence_pdf(
    pdf: bytes, agency: Agency, *, number: str, valid_until: dt.date | None = None
) -> bytes:
    """Certify a licence with the agency's key: PAdES B-LT, or B-LTA for a licence valid
    longer than ``settings.LICENCE_LTA_AFTER_YEARS`` (see :func:`sign_agency_pdf`)."""
    return sign_agency_pdf(
        pdf,
        agency,
        label=number,
        reason=f"ออกใบอนุญาต {number} / Licence {number} issued",
        valid_until=valid_until,
    )


def sign_agency_pdf(
    pdf: bytes,
    agency: Agency,
    *,
    label: str,
    reason: str,
    valid_until: dt.date | None = None,
    field_name: str = SIGNATURE_FIELD,
) -> bytes:
    """Certify a document the agency issues (a licence, a receipt) with its key.

    A certification signature makes any later edit show up as a policy violation in
    every validator. DocMDP stays "no changes" (P=1): the only additions after it are
    the Document Security Store and the document time stamp, which PAdES (ETSI EN 319
    142-1, 5.4) and ISO 32000-2 (12.8.2.2) permit whatever the DocMDP level, and which
    pyHanko and poppler accept as such (tests/licences/test_long_term.py checks both).
    A visible box in the page footer shows who signed, in which role, and when. Without
    an end date (``valid_until`` None) the document is signed B-LTA, to be kept.
    """
    plugin = current_signer()
    level = pades.level_for(valid_until)
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location="Thailand",
        name=agency.name_en,
        embed_validation_info=True,
        use_pades_lta=level == "B-LTA",
        validation_context=pades.signing_context(plugin.trust_roots()),
    )
    signer = pades.LicencePdfSigner(
        meta,
        signer=plugin.signer_for(agency),
        timestamper=plugin.timestamper(),
        stamp_style=pades.appearance_style(),
        new_field_spec=pades.field_spec(field_name),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    try:
        output = signer.sign_pdf(
            writer,
            appearance_text_params={"text": pades.appearance_text(agency, timezone.now())},
        )
    except Exception as error:  # the TSA or OCSP unreachable is the usual cause: say so
        raise pades.LicenceSigningError(label, level, error) from error
    return bytes(output.getvalue())


def _name_tree_lookup(node: generic.DictionaryObject, name: str) -> generic.PdfObject | None:
    """Find ``name`` in a PDF name tree (flat ``/Names`` or nested ``/Kids``)."""
    if "/Names" in node:
        names = node["/Names"]
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == name:
                return names[index + 1].get_object()  # type: ignore[no-any-return]
    if "/Kids" in node:
        for kid in node["/Kids"]:
            found = _name_tree_lookup(kid.get_object(), name)
            if found is not None:
                return found
    return None


def read_embedded_file(reader: PdfFileReader, name: str) -> bytes | None:
    """The content of the embedded file called ``name``, or None when absent."""
    root = reader.root
    if "/Names" not in root or "/EmbeddedFiles" not in root["/Names"]:
        return None
    spec = _name_tree_lookup(root["/Names"]["/EmbeddedFiles"], name)
    if not isinstance(spec, generic.DictionaryObject) or "/EF" not in spec:
        return None
    files = spec["/EF"]
    key = "/UF" if "/UF" in files else "/F"
    if key not in files:  # pyHanko's dict.get() would not resolve indirect objects
        return None
    stream = files[key]
    if not isinstance(stream, generic.StreamObject):
        return None
    return bytes(stream.data)


def read_embedded_file_bytes(pdf: bytes, name: str) -> bytes | None:
    """The embedded file ``name`` of a PDF given as bytes; None when absent or damaged."""
    try:
        return read_embedded_file(PdfFileReader(BytesIO(pdf), strict=False), name)
    except Exception:  # a damaged file can fail anywhere in the parser
        logger.info("could not read %s from a PDF", name, exc_info=True)
        return None


def read_payload(pdf: bytes) -> dict[str, Any] | None:
    """The embedded ``licence.json`` of a PDF, or None when missing or unreadable."""
    try:
        raw = read_embedded_file(PdfFileReader(BytesIO(pdf), strict=False), PAYLOAD_NAME)
        if raw is None:
            return None
        value = safejson.loads(raw)
    except Exception:  # a damaged file can fail anywhere in the parser; it just has no payload
        logger.info("could not read %s from an uploaded PDF", PAYLOAD_NAME, exc_info=True)
        return None
    return value if isinstance(value, dict) else None
