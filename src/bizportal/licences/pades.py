"""Long-term licence signatures (PAdES B-LT and B-LTA) and what a verifier reads back.

Why: a B-B signature proves nothing once the agency's certificate expires or is
revoked, because nobody can show the signature was made while it was good. So each
licence is signed with a trusted time stamp (B-T) and the revocation data of every
certificate in the chain, OCSP answers and the CRL, embedded in the file's Document
Security Store (B-LT). A licence that outlives the signing certificate's algorithms
(valid longer than ``settings.LICENCE_LTA_AFTER_YEARS``, or without an end date) also
gets a document time stamp over all of that (B-LTA), which can be renewed later.

The TSA and the trust roots come from the signer plugin (``LicenceSigner``), so a
production HSM and qualified TSA are configuration. A verifier then needs nothing but
the file and the root certificate: :func:`offline_context` validates with fetching off.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.sign import signers as pyhanko_signers
from pyhanko.sign.signers import constants as signer_constants
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from bizportal.core.thai import thai_date

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.pdf_utils.writer import BasePdfFileWriter
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator.fetchers import Fetchers

    from bizportal.catalog.models import Agency

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]

# Where the visible signature sits on page 1 (PDF points, origin bottom left): bottom
# right, from just above the running footer (which ends 32 pt from the page's bottom)
# into the bottom margin of the content box (licence_pdf.html: 18 mm = 51 pt). The
# licence's last block, the legal note, ends about 110 pt from the bottom on a typical
# licence; tests/licences/test_long_term.py checks no text lies under the box.
APPEARANCE_BOX = (322, 36, 544, 86)
SIGNATORY_ROLE = "ผู้มีอำนาจลงนาม / Authorised signatory"
# Revocation data fetched while signing is reused this long (per thread): an OCSP
# answer is good for a day, and fetching it for every licence would cost two round
# trips per signature for the same three certificates.
FETCH_CACHE_SECONDS = 300.0


class LicenceSigningError(RuntimeError):
    """A licence could not be signed; names the trust services, the usual culprit."""

    def __init__(self, number: str, level: str, error: Exception) -> None:
        super().__init__(
            f"document {number} could not be signed ({level}): {error}. A {level} signature "
            f"needs the time-stamping and OCSP services at LICENCE_TRUST_URL "
            f"({settings.LICENCE_TRUST_URL}); in development start them with "
            "'python -m bizportal.sandbox_trust' or 'manage.py serve --companions'."
        )


def level_for(valid_until: dt.date | None, today: dt.date | None = None) -> Level:
    """B-LTA for a licence without an end date or valid longer than the setting."""
    if valid_until is None:
        return "B-LTA"
    today = today or timezone.localdate()
    years = int(getattr(settings, "LICENCE_LTA_AFTER_YEARS", 2))
    try:
        threshold = today.replace(year=today.year + years)
    except ValueError:  # 29 February
        threshold = today.replace(year=today.year + years, day=28)
    return "B-LTA" if valid_until > threshold else "B-LT"


class LicencePdfSigner(pyhanko_signers.PdfSigner):
    """A PdfSigner that keeps the file at PDF 1.7, as its PDF/A-3 claim requires.

    Why: pyHanko registers the ISO/TS 32002 extension for an ECDSA key on a named curve
    (P-256 here), and that extension is defined for PDF 2.0, so it writes
    ``/Version /2.0`` into the catalog of a file that says PDF/A-3 (based on PDF 1.7).
    ECDSA in a PAdES signature does not need it: ETSI EN 319 142-1 allows the ETSI
    algorithms through the ESIC extension on ISO 32000-1, which is what we register.
    (The other extension pyHanko may add, ISO 32004 PDF MAC, is for encrypted files;
    licences are never encrypted.)
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(signer_constants.ESIC_EXTENSION_1)


# What the box can show: ASCII, Thai, no-break space, dashes and curly quotes.
APPEARANCE_CHARACTERS = [
    *range(0x20, 0x7F),
    0xA0,
    *range(0x0E00, 0x0E80),
    *(0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026),
]
# The OpenType features Thai and Latin text set in a line need: composition, marks
# above and below (and on marks), kerning, standard ligatures.
APPEARANCE_FEATURES = ["ccmp", "locl", "mark", "mkmk", "kern", "liga", "rlig", "calt"]


@cache
def appearance_font() -> bytes:
    """Sarabun cut down once per process to :data:`APPEARANCE_CHARACTERS` and the layout
    features of :data:`APPEARANCE_FEATURES` (Thai needs mark and mkmk positioning).
    pyHanko parses the font anew for each signature and subsets it again to the glyphs
    used; with this cut that took a fifth of the full font's time."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = APPEARANCE_FEATURES
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False  # 8 pt text in a PDF viewer: no TrueType instructions needed
    font = TTFont(str(Path(settings.SARABUN_DIR) / "Sarabun-Regular.ttf"))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=APPEARANCE_CHARACTERS)
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _SarabunFactory(GlyphAccumulatorFactory):
    """Embeds (a subset of) Sarabun: PDF/A forbids unembedded fonts; shaped with
    HarfBuzz so Thai vowels and tone marks sit where they belong."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(appearance_font()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _font_factory() -> GlyphAccumulatorFactory:
    return _SarabunFactory(font_file="Sarabun-Regular.ttf")


def appearance_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(font=_font_factory(), font_size=8, leading=10),
        border_width=1,
        background=None,
    )


def _escape(value: str) -> str:
    return value.replace("%", "%%")


def appearance_text(agency: Agency, signed_at: dt.datetime) -> str:
    """What the box says: who signed, in which capacity, when (Thai first)."""
    local = timezone.localtime(signed_at)
    return "\n".join(
        [
            f"ลงนามโดย {agency.name_th}".strip(),
            f"Signed by {agency.name_en}".strip(),
            SIGNATORY_ROLE,
            f"เวลา {thai_date(local, with_time=True)} ({local:%Y-%m-%d %H:%M %Z})",
        ]
    )


def field_spec(name: str = "LicenceSignature") -> fields.SigFieldSpec:
    return fields.SigFieldSpec(sig_field_name=name, on_page=0, box=APPEARANCE_BOX)


@dataclass
class _CachedFetchers:
    fetchers: Fetchers
    made: float


_local = threading.local()


def _fetchers() -> Fetchers:
    """This thread's OCSP/CRL fetchers, renewed every FETCH_CACHE_SECONDS. pyHanko's
    fetchers remember each answer by certificate, so one set serves many signatures;
    per thread, because they run on an asyncio loop of their own."""
    cached: _CachedFetchers | None = getattr(_local, "fetchers", None)
    if cached is None or time.monotonic() - cached.made > FETCH_CACHE_SECONDS:
        cached = _CachedFetchers(RequestsFetcherBackend().get_fetchers(), time.monotonic())
        _local.fetchers = cached
    return cached.fetchers


def signing_context(roots: list[x509.Certificate]) -> ValidationContext:
    """Collects the revocation data to embed, fetching from the URLs in the certificates."""
    return ValidationContext(trust_roots=roots, allow_fetching=True, fetchers=_fetchers())


def forget_fetched() -> None:
    """Drop this thread's cached revocation data (tests that revoke, or rotate roots)."""
    _local.fetchers = None


# -- reading back ---------------------------------------------------------------------


def offline_context(reader: PdfFileReader, roots: list[x509.Certificate]) -> ValidationContext:
    """Validation with what the file carries: its DSS (if any), no fetching. Revocation
    is hard-fail when the file has a DSS (a B-LT file must prove its chain was good);
    a B-B file, which never had revocation data, is checked as it always was."""
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    if dss is None:
        return ValidationContext(trust_roots=roots, allow_fetching=False)
    return dss.as_validation_context(
        {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"}
    )


def level_of(reader: PdfFileReader, status: PdfSignatureStatus) -> Level:
    """The PAdES baseline level the file reaches, from what it carries: a signature time
    stamp (B-T), a DSS with validation data (B-LT), a document time stamp (B-LTA)."""
    if status.timestamp_validity is None:
        return "B-B"
    if "/DSS" not in reader.root:
        return "B-T"
    document_timestamps = [
        signature
        for signature in reader.embedded_signatures
        if signature.sig_object_type == "/DocTimeStamp"
    ]
    return "B-LTA" if document_timestamps else "B-LT"
