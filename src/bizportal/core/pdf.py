"""Rendering PDFs from templates with WeasyPrint and the Sarabun font.

WeasyPrint shapes Thai through Pango and breaks lines at word boundaries (libthai);
the font files come from the ``fontpkg-sarabun`` package, so PDFs look the same on
every machine whatever fonts the system has. Every file is then finished with pikepdf
before anyone signs it: the text layer repaired so Thai reads back as written
(:mod:`bizportal.core.pdf_text`), Info and XMP metadata made to agree and ``/AF``
deduplicated (:mod:`bizportal.core.pdf_metadata`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from io import BytesIO
from typing import Any

import pikepdf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import pdf_metadata, pdf_text

SARABUN_CSS = """
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-Regular.ttf"); font-weight: 400; }}
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-SemiBold.ttf"); font-weight: 600; }}
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-Bold.ttf"); font-weight: 700; }}
html {{ font-family: "Sarabun"; }}
"""


def sarabun_stylesheet() -> str:
    return SARABUN_CSS.format(dir=settings.SARABUN_DIR.as_uri())


@functools.cache
def _sarabun_fonts() -> dict[str, pdf_text.FontText]:
    """Glyph knowledge of the shipped Sarabun files (read once per process)."""
    return pdf_text.fonts_by_postscript_name(sorted(settings.SARABUN_DIR.glob("*.ttf")))


def finish_pdf(data: bytes, *, language: str, created: dt.datetime | None = None) -> bytes:
    """Repair the text layer and metadata of a freshly rendered, still unsigned PDF."""
    with pikepdf.open(BytesIO(data)) as pdf:
        pdf_text.repair_text_layer(pdf, _sarabun_fonts())
        pdf_metadata.deduplicate_associated_files(pdf)
        pdf_metadata.align_metadata(pdf, language=language, created=created or timezone.localtime())
        output = BytesIO()
        pdf.save(output, deterministic_id=True)
    return output.getvalue()


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    pdf_variant: str | None = None,
    attachments: Sequence[Any] = (),
    language: str = "th",
) -> bytes:
    """Render ``template_name`` to PDF bytes.

    ``pdf_variant`` is passed to WeasyPrint (e.g. ``"pdf/a-3b"``); ``attachments`` are
    ``weasyprint.Attachment`` objects embedded in the file (PDF/A-3 allows any type).
    The file is tagged (structure tree, document language) for screen readers.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with translation.override(language):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    # Without a FontConfiguration shared by the stylesheet and the writer, WeasyPrint
    # ignores @font-face and silently falls back to whatever system font has Thai.
    font_config = FontConfiguration()
    rendered = document.write_pdf(
        stylesheets=[CSS(string=sarabun_stylesheet(), font_config=font_config)],
        font_config=font_config,
        pdf_variant=pdf_variant,
        pdf_tags=True,
        attachments=list(attachments),
    )
    return finish_pdf(bytes(rendered), language=language)
