"""Make the text layer of a WeasyPrint PDF say what the page says (Thai SARA AM).

Why this exists: a PDF font's ``/ToUnicode`` CMap gives each glyph code *one* text.
WeasyPrint builds it from the first cluster in which it meets each glyph: inside a
cluster of several glyphs all but the last glyph get an empty text and the last one
gets the whole cluster. HarfBuzz's Thai shaper draws SARA AM (U+0E33, ำ) as two
glyphs, NIKHAHIT (or a tone mark + NIKHAHIT ligature) and SARA AA, and SARA AA is the
very glyph of a plain า. So whichever comes first in a document wins: "ดำเนิน" comes out
as "ดาเนิน", or later "ดาว" as "ดำว", and "น้ำ" loses its tone mark.

The repair, done on the unsigned file: every glyph code maps to the text the glyph
stands for in the font (its ``cmap`` entry, or the inputs of the GSUB substitutions that
make it), and each glyph *occurrence* inside a decomposed SARA AM gets a fresh CID
that draws the same glyph (``/CIDToGIDMap``, same width) but maps to the right text:
the NIKHAHIT part to its tone mark (or nothing) and the SARA AA part to ำ. The page
looks exactly the same; ``pdftotext``, copy and paste, search and screen readers read
the original string. Only fonts whose program we have (matched by PostScript name)
are touched; any other font keeps WeasyPrint's map.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

#: Characters HarfBuzz's shapers draw as two glyphs: (first part, second part).
DECOMPOSED = {
    "\u0e33": ("\u0e4d", "\u0e32"),  # Thai SARA AM = NIKHAHIT + SARA AA
    "\u0eb3": ("\u0ecd", "\u0eb2"),  # Lao AM = NIGGAHITA + AA
}
_SECOND_PART = {second: (first, whole) for whole, (first, second) in DECOMPOSED.items()}
_TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}
_Instruction = pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage
_MARKED_CONTENT = {"BDC", "BMC", "EMC", "ET", "BT"}
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")


class FontText:
    """What each glyph of one font program stands for, from its cmap and GSUB."""

    def __init__(self, path: Path) -> None:
        font = TTFont(path, lazy=True)
        self.postscript_name = str(font["name"].getDebugName(6) or "")
        order = font.getGlyphOrder()
        gid = {name: index for index, name in enumerate(order)}
        candidates: dict[int, set[str]] = {}
        for codepoint, name in font.getBestCmap().items():
            candidates.setdefault(gid[name], set()).add(chr(codepoint))
        # Substitutions keep the text of their input; a ligature stands for its
        # components in order. Repeat until nothing new turns up (chained lookups).
        substitutions: list[tuple[tuple[str, ...], str]] = []
        if "GSUB" in font:
            for lookup in font["GSUB"].table.LookupList.Lookup:
                for table in lookup.SubTable:
                    table = getattr(table, "ExtSubTable", table)
                    substitutions.extend(_substitutions(table))
        for _ in range(8):
            changed = False
            for inputs, output in substitutions:
                if output not in gid or any(name not in gid for name in inputs):
                    continue
                parts = [candidates.get(gid[name]) for name in inputs]
                if not all(parts):
                    continue
                text = "".join(min(part, key=_preference) for part in parts if part)
                known = candidates.setdefault(gid[output], set())
                if text not in known:
                    known.add(text)
                    changed = True
            if not changed:
                break
        self.candidates = candidates

    def text(self, glyph: int, recorded: str | None) -> str | None:
        """The glyph's own text; WeasyPrint's when it is one of the glyph's readings."""
        options = self.candidates.get(glyph)
        if not options:
            return None
        if recorded in options:
            return recorded
        return min(options, key=_preference)


def _preference(text: str) -> tuple[int, str]:
    return (len(text), text)


def _substitutions(table: object) -> Iterator[tuple[tuple[str, ...], str]]:
    """(input glyph names, output glyph name) of a GSUB subtable that makes one glyph."""
    mapping = getattr(table, "mapping", None)
    if isinstance(mapping, dict):  # single substitution (a multiple one maps to lists)
        for source, target in mapping.items():
            if isinstance(target, str):
                yield (source,), target
    alternates = getattr(table, "alternates", None)
    if isinstance(alternates, dict):
        for source, targets in alternates.items():
            for target in targets:
                yield (source,), target
    ligatures = getattr(table, "ligatures", None)
    if isinstance(ligatures, dict):
        for first, entries in ligatures.items():
            for entry in entries:
                yield (first, *entry.Component), entry.LigGlyph


@dataclass
class _Font:
    """One Type0/Identity-H font of the PDF and the codes the content streams use."""

    dictionary: pikepdf.Object
    knowledge: FontText
    recorded: dict[int, str]
    glyph_count: int
    extra: dict[tuple[int, str], int] = field(default_factory=dict)

    def base_text(self, glyph: int) -> str:
        text = self.knowledge.text(glyph, self.recorded.get(glyph))
        return text if text is not None else self.recorded.get(glyph, "")

    def code_for(self, glyph: int, text: str) -> int:
        if text == self.base_text(glyph):
            return glyph
        key = (glyph, text)
        if key not in self.extra:
            self.extra[key] = self.glyph_count + len(self.extra)
        return self.extra[key]


@dataclass
class _Slot:
    """One string operand of a text-showing operator, as editable bytes."""

    data: bytearray
    instruction: int
    operand: int
    item: int | None  # index inside a TJ array, None for a plain string operand


@dataclass
class _Occurrence:
    """One glyph drawn on the page: which font, which glyph, where its code sits."""

    font: _Font
    glyph: int
    slot: _Slot
    offset: int
    text: str = ""


def fonts_by_postscript_name(paths: Iterable[Path]) -> dict[str, FontText]:
    """Glyph knowledge for the given font files, keyed by PostScript name."""
    known = {}
    for path in paths:
        text = FontText(path)
        known[text.postscript_name] = text
    return known


def repair_text_layer(pdf: pikepdf.Pdf, fonts: dict[str, FontText]) -> int:
    """Rewrite the fonts and content streams of ``pdf`` in place; returns how many
    glyph occurrences were given a code of their own."""
    cache: dict[tuple[int, int], _Font | None] = {}
    changed = 0
    for page in pdf.pages:
        changed += _repair_stream(pdf, page.obj, fonts, cache, is_page=True)
    for entry in cache.values():
        if entry is not None:
            _rewrite_font(pdf, entry)
    return changed


def _repair_stream(
    pdf: pikepdf.Pdf,
    owner: pikepdf.Object,
    fonts: dict[str, FontText],
    cache: dict[tuple[int, int], _Font | None],
    *,
    is_page: bool,
) -> int:
    """Repair one page or Form XObject (and the forms it draws)."""
    resources = owner.get("/Resources") or pikepdf.Dictionary()
    font_resources = resources.get("/Font") or pikepdf.Dictionary()
    changed = 0
    for xobject in (resources.get("/XObject") or pikepdf.Dictionary()).values():
        if xobject.get("/Subtype") == "/Form":
            changed += _repair_stream(pdf, xobject, fonts, cache, is_page=False)

    instructions = list(pikepdf.parse_content_stream(owner))
    runs: list[list[_Occurrence]] = [[]]
    slots: list[_Slot] = []
    current: _Font | None = None
    for number, instruction in enumerate(instructions):
        name = str(instruction.operator)
        if name == "Tf":
            font_object = font_resources.get(str(instruction.operands[0]))
            current = None if font_object is None else _font(font_object, fonts, cache)
            runs.append([])
        elif name in ("BT", "ET"):
            runs.append([])
        elif name in _TEXT_OPERATORS:
            if current is None:
                runs.append([])
                continue
            for slot in _slots(number, instruction.operands):
                slots.append(slot)
                for offset in range(0, len(slot.data) - 1, 2):
                    glyph = int.from_bytes(slot.data[offset : offset + 2], "big")
                    runs[-1].append(_Occurrence(current, glyph, slot, offset))

    edited: set[int] = set()
    spans: dict[int, tuple[int, str]] = {}  # first instruction -> (last one, text)
    for run in runs:
        if run and any(is_mark(occurrence.text) for occurrence in _read(run)):
            first, last = run[0].slot.instruction, run[-1].slot.instruction
            if not any(
                str(instructions[number].operator) in _MARKED_CONTENT
                for number in range(first, last + 1)
            ):
                spans[first] = (last, "".join(occurrence.text for occurrence in run))
        for occurrence in run:
            code = occurrence.font.code_for(occurrence.glyph, occurrence.text)
            if code != occurrence.glyph:
                occurrence.slot.data[occurrence.offset : occurrence.offset + 2] = code.to_bytes(
                    2, "big"
                )
                edited.add(id(occurrence.slot))
                changed += 1
    if not edited and not spans:
        return changed
    for slot in slots:
        if id(slot) not in edited:
            continue
        instruction = instructions[slot.instruction]
        operands = list(instruction.operands)
        value = pikepdf.String(bytes(slot.data))
        if slot.item is None:
            operands[slot.operand] = value
        else:
            array = operands[slot.operand]
            array[slot.item] = value
            operands[slot.operand] = array
        instructions[slot.instruction] = pikepdf.ContentStreamInstruction(
            operands, instruction.operator
        )
    data = pikepdf.unparse_content_stream(_with_actual_text(instructions, spans))
    if is_page:
        owner.Contents = pdf.make_stream(data)
    else:
        owner.write(data)
    return changed


def _with_actual_text(
    instructions: Sequence[_Instruction], spans: dict[int, tuple[int, str]]
) -> list[_Instruction]:
    """Wrap each run holding combining marks in ``/Span <</ActualText ...>> BDC ... EMC``.

    Marks that HarfBuzz moves up or down are drawn with a text rise; extractors that
    group glyphs by baseline (poppler) then split the word or put the mark on a line of
    its own. The actual text of the run puts it back together, spaces included.
    """
    result: list[_Instruction] = []
    closing: int | None = None
    for number, instruction in enumerate(instructions):
        if number in spans:
            last, text = spans[number]
            properties = pikepdf.Dictionary(ActualText=pikepdf.String(text))
            result.append(
                pikepdf.ContentStreamInstruction(
                    [pikepdf.Name.Span, properties], pikepdf.Operator("BDC")
                )
            )
            closing = last
        result.append(instruction)
        if number == closing:
            result.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC")))
            closing = None
    return result


def _slots(number: int, operands: Iterable[object]) -> Iterator[_Slot]:
    """The string operands of a text-showing operator, in drawing order."""
    for index, operand in enumerate(operands):
        if isinstance(operand, pikepdf.String):
            yield _Slot(bytearray(bytes(operand)), number, index, None)
        elif isinstance(operand, pikepdf.Array):
            for item, element in enumerate(operand):
                if isinstance(element, pikepdf.String):
                    yield _Slot(bytearray(bytes(element)), number, index, item)


def _read(run: list[_Occurrence]) -> list[_Occurrence]:
    """Give each glyph of a run (one font, one text object) the text it stands for.

    A glyph standing for the second part of a decomposed character (SARA AA) that
    follows marks holding the first part (NIKHAHIT, alone or in a ligature with a tone
    mark) is the whole character; the first part is then dropped from those marks.
    """
    for occurrence in run:
        occurrence.text = occurrence.font.base_text(occurrence.glyph)
    for index, occurrence in enumerate(run):
        if occurrence.text not in _SECOND_PART:
            continue
        first, whole = _SECOND_PART[occurrence.text]
        back = index - 1
        while back >= 0 and is_mark(run[back].text) and first not in run[back].text:
            back -= 1
        if back >= 0 and is_mark(run[back].text) and first in run[back].text:
            run[back].text = run[back].text.replace(first, "", 1)
            occurrence.text = whole
    return run


def _font(
    font_object: pikepdf.Object,
    fonts: dict[str, FontText],
    cache: dict[tuple[int, int], _Font | None],
) -> _Font | None:
    key = font_object.objgen
    if key in cache:
        return cache[key]
    entry = None
    descendants = font_object.get("/DescendantFonts")
    if (
        font_object.get("/Subtype") == "/Type0"
        and font_object.get("/Encoding") == "/Identity-H"
        and descendants is not None
        and "/ToUnicode" in font_object
    ):
        descendant = descendants[0]
        program = descendant.get("/FontDescriptor", pikepdf.Dictionary()).get("/FontFile2")
        if program is not None and descendant.get("/CIDToGIDMap", "/Identity") == "/Identity":
            embedded = TTFont(io.BytesIO(program.read_bytes()), lazy=True)
            name = str(embedded["name"].getDebugName(6) or "")
            if name in fonts:
                entry = _Font(
                    dictionary=font_object,
                    knowledge=fonts[name],
                    recorded=parse_to_unicode(font_object.ToUnicode.read_bytes()),
                    glyph_count=int(embedded["maxp"].numGlyphs),
                )
    cache[key] = entry
    return entry


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """The ``bfchar`` and ``bfrange`` entries of a ToUnicode CMap."""
    result: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in _HEX.findall(block):
            result[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, start in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            base = bytes.fromhex(start.decode()).decode("utf-16-be")
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                result[code] = base[:-1] + chr(ord(base[-1]) + offset)
    return result


def _rewrite_font(pdf: pikepdf.Pdf, font: _Font) -> None:
    """Write the corrected ToUnicode map and, for new CIDs, their glyphs and widths."""
    mapping = {glyph: font.base_text(glyph) for glyph in font.recorded}
    for (_, text), code in font.extra.items():
        mapping[code] = text
    font.dictionary.ToUnicode = pdf.make_stream(to_unicode_cmap(mapping))
    if not font.extra:
        return
    descendant = font.dictionary.DescendantFonts[0]
    last = max(font.extra.values())
    glyphs = list(range(last + 1))
    for (glyph, _), code in font.extra.items():
        glyphs[code] = glyph
    table = b"".join(glyph.to_bytes(2, "big") for glyph in glyphs)
    descendant.CIDToGIDMap = pdf.make_stream(zlib.compress(table))
    descendant.CIDToGIDMap.Filter = pikepdf.Name.FlateDecode
    widths = _widths(descendant)
    default = float(descendant.get("/DW", 1000))
    codes = sorted(font.extra.items(), key=lambda item: item[1])
    entries = pikepdf.Array(descendant.get("/W", pikepdf.Array()))
    entries.append(codes[0][1])
    entries.append(pikepdf.Array([widths.get(glyph, default) for (glyph, _), _ in codes]))
    descendant.W = entries


def _widths(descendant: pikepdf.Object) -> dict[int, float]:
    """The ``/W`` array of a CIDFont as CID -> width."""
    result: dict[int, float] = {}
    items = list(descendant.get("/W", pikepdf.Array()))
    index = 0
    while index < len(items):
        first = int(items[index])
        following = items[index + 1]
        if isinstance(following, pikepdf.Array):
            for offset, width in enumerate(following):
                result[first + offset] = float(width)
            index += 2
        else:
            for code in range(first, int(following) + 1):
                result[code] = float(items[index + 2])
            index += 3
    return result


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap (two-byte codes) with one ``bfchar`` entry per code."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <FFFF>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for code, text in batch:
            lines.append(f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>".encode())
        lines.append(b"endbfchar")
    lines += [
        b"endcmap",
        b"CMapName currentdict /CMap defineresource pop",
        b"end",
        b"end",
    ]
    return b"\n".join(lines)


def is_mark(text: str) -> bool:
    return bool(text) and all(unicodedata.category(char) == "Mn" for char in text)
