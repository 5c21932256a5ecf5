"""Rendering PDFs from templates with WeasyPrint and the Sarabun font.

WeasyPrint shapes Thai through Pango and breaks lines at word boundaries (libthai);
the font files come from the ``fontpkg-sarabun`` package, so PDFs look the same on
every machine whatever fonts the system has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

SARABUN_CSS = """
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-Regular.ttf"); font-weight: 400; }}
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-SemiBold.ttf"); font-weight: 600; }}
@font-face {{ font-family: "Sarabun"; src: url("{dir}/Sarabun-Bold.ttf"); font-weight: 700; }}
html {{ font-family: "Sarabun"; }}
"""


def sarabun_stylesheet() -> str:
    return SARABUN_CSS.format(dir=settings.SARABUN_DIR.as_uri())


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
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with translation.override(language):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    # Without a FontConfiguration shared by the stylesheet and the writer, WeasyPrint
    # ignores @font-face and silently falls back to whatever system font has Thai.
    font_config = FontConfiguration()
    return bytes(
        document.write_pdf(
            stylesheets=[CSS(string=sarabun_stylesheet(), font_config=font_config)],
            font_config=font_config,
            pdf_variant=pdf_variant,
            attachments=list(attachments),
        )
    )
