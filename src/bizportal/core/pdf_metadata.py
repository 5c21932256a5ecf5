"""One story in a PDF's metadata: the Info dictionary and the XMP packet agree.

WeasyPrint writes the Info dictionary and an XMP packet with only part of it (no dates,
no language) and lists an attachment twice in the catalogue's ``/AF``. Validators and
archives compare the two; this fills the XMP from the same values as the Info
dictionary, adds the document language, and keeps one ``/AF`` entry per file.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version

import pikepdf


def producer() -> str:
    """The tools that wrote the file, named the same way in Info and XMP."""
    return f"WeasyPrint {version('weasyprint')}; pikepdf {version('pikepdf')}"


def align_metadata(pdf: pikepdf.Pdf, *, language: str, created: dt.datetime) -> None:
    """Write Title, Producer, CreateDate/ModifyDate and dc:language to XMP and Info."""
    stamp = created.replace(microsecond=0)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta.load_from_docinfo(pdf.docinfo)
        meta["pdf:Producer"] = producer()
        meta["xmp:CreateDate"] = stamp.isoformat()
        meta["xmp:ModifyDate"] = stamp.isoformat()
        meta["xmp:MetadataDate"] = stamp.isoformat()
        meta["dc:language"] = [language]
    pdf.docinfo[pikepdf.Name.Producer] = producer()
    pdf.docinfo[pikepdf.Name.CreationDate] = pikepdf.String(_pdf_date(stamp))
    pdf.docinfo[pikepdf.Name.ModDate] = pikepdf.String(_pdf_date(stamp))


def _pdf_date(value: dt.datetime) -> str:
    """D:YYYYMMDDHHmmSS+HH'mm' as ISO 32000 wants it."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{value:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


def deduplicate_associated_files(pdf: pikepdf.Pdf) -> None:
    """Keep one ``/AF`` entry per embedded file, the object the name tree points at."""
    entries = pdf.Root.get("/AF")
    if not isinstance(entries, pikepdf.Array):
        return
    named: dict[str, pikepdf.Object] = {}
    if "/Names" in pdf.Root and "/EmbeddedFiles" in pdf.Root.Names:
        tree = pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)
        named = {str(key): value for key, value in tree.items()}
    kept: dict[str, pikepdf.Object] = {}
    for entry in entries:
        name = str(entry.get("/UF", entry.get("/F", "")))
        if name not in kept or (entry.is_indirect and not kept[name].is_indirect):
            kept[name] = entry
    for name, entry in kept.items():
        if not entry.is_indirect:
            entry = pdf.make_indirect(entry)
            kept[name] = entry
        if name in named:
            pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)[name] = entry
    pdf.Root.AF = pikepdf.Array(list(kept.values()))
