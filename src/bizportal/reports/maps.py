"""Numbers by province drawn on a map of Thailand, as an inline SVG.

Why SVG from matplotlib: the same picture goes into the HTML dashboard and the PDF
(WeasyPrint renders inline SVG), needs no JavaScript or tiles (no internet), and with
``svg.fonttype = "none"`` its text stays text: searchable, selectable, read by screen
readers, drawn in Sarabun by the browser. Circles (area proportional to the value) on
province centroids rather than a filled province map, because the repository carries no
province boundaries; see ``provinces`` for how approximate the geography is.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import matplotlib as mpl
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from matplotlib import font_manager
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from .provinces import OUTLINE, Province, by_name

FONT_FAMILY = ["Sarabun", "sans-serif"]
LABELLED = 10  # the largest values get their province's name written next to them
MAX_DIAMETER = 24.0  # points, for the largest value (larger circles bury the centre)
MIN_DIAMETER = 3.0  # points; smaller values would vanish (area no longer exact below this)
LABEL_SIZE = 7.5
DPI = 72  # one SVG user unit per point, so label placement below works in points

# matplotlib keeps rcParams process-wide; the SVG writer reads svg.fonttype and
# svg.hashsalt while saving. Rendering under one lock keeps rc_context of one request
# from leaking into another thread's picture.
RENDER_LOCK = threading.Lock()
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "bizportal-province-map",
    "font.family": FONT_FAMILY,
    "font.sans-serif": ["Sarabun"],  # so the SVG says font-family: 'Sarabun', sans-serif
    "font.size": 8,
}
_TIP = "#bizportal-circle-"  # placeholder URL of circle i, see _finish
_LAT_MIN, _LAT_MAX, _LON_MIN, _LON_MAX = 5.4, 20.7, 97.1, 105.9


@functools.cache
def _register_sarabun() -> None:
    """Make matplotlib measure text with Sarabun (once per process): without it the
    layout uses DejaVu metrics and Thai labels overlap what the browser draws."""
    for name in ("Sarabun-Regular.ttf", "Sarabun-SemiBold.ttf"):
        path = settings.SARABUN_DIR / name
        if path.exists():
            font_manager.fontManager.addfont(str(path))


@dataclass(frozen=True)
class _Placed:
    province: Province
    key: str  # the name as given in the counts (what ``link`` receives)
    value: float


def _placed(counts: Mapping[str, int | float]) -> list[_Placed]:
    """Known provinces with a positive value, largest first. Spellings of one province
    ("จ.เชียงใหม่", "เชียงใหม่") are added together; the spelling with the largest value
    is the one ``link`` receives."""
    totals: dict[str, float] = {}
    best_key: dict[str, tuple[float, str]] = {}
    found: dict[str, Province] = {}
    for key, value in counts.items():
        province = by_name(key)
        if province is None or value is None or not math.isfinite(value) or value <= 0:
            continue
        found[province.name_th] = province
        totals[province.name_th] = totals.get(province.name_th, 0) + value
        if province.name_th not in best_key or value > best_key[province.name_th][0]:
            best_key[province.name_th] = (value, key)
    placed = [_Placed(found[n], best_key[n][1], total) for n, total in totals.items()]
    placed.sort(key=lambda p: (-p.value, p.province.name_en))
    return placed


def unplaced(counts: Mapping[str, int | float]) -> list[str]:
    """The names in ``counts`` that are no province (so not on the map), sorted, so a
    report can list them under the map instead of silently losing them."""
    return sorted(name for name in counts if by_name(name) is None)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text_width(text: str, size: float) -> float:
    """Rough width in points: Thai vowel and tone marks above/below take no width."""
    spacing = sum(1 for ch in text if unicodedata.category(ch) != "Mn")
    return spacing * size * 0.6


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


_OFFSETS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]


def province_map_svg(
    counts: Mapping[str, int | float],
    *,
    title: str,
    link: Callable[[str], str] | None = None,
    value_label: str = "",
) -> str:
    """An ``<svg>`` element (no XML prologue, width 100%, scales with its viewBox) with
    a circle per province that has a positive value: area proportional to the value,
    colour on the same scale, the largest ones named. ``link(name)`` (``name`` as it
    appears in ``counts``) makes each circle a hyperlink, e.g. to the drill-down list.
    Names that are no province are left out: show ``unplaced(counts)`` beside the map."""
    language = translation.get_language()
    placed = _placed(counts)
    suffix = f" {value_label}" if value_label else ""

    with RENDER_LOCK, mpl.rc_context(_RC):
        _register_sarabun()
        fig = _draw(placed, language=language, value_label=value_label)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()

    described = [f"{p.province.name(language)} {_number(p.value)}{suffix}" for p in placed[:5]]
    if placed:
        desc = _("Circles on a map of Thailand, area by value. Largest: %(list)s.") % {
            "list": ", ".join(described)
        }
    else:
        desc = _("A map of Thailand with no data to show.")
    circles = [
        (
            f"{p.province.name(language)}: {_number(p.value)}{suffix}",
            link(p.key) if link is not None else None,
        )
        for p in placed
    ]
    return _finish(svg, title=title, desc=desc, circles=circles)


def _draw(placed: Sequence[_Placed], *, language: str | None, value_label: str) -> Figure:
    """The figure (call under the lock and rc_context: text sizes depend on rcParams).
    One axes, no ticks, no colour bar axes: a second axes or an annotation arrow costs
    more time than the whole rest of the picture."""
    top = max((p.value for p in placed), default=0.0)
    fig = Figure(figsize=(4.6, 7.2), dpi=DPI)
    FigureCanvasSVG(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(_LON_MIN, _LON_MAX)
    ax.set_ylim(_LAT_MIN, _LAT_MAX)
    # Plate carrée stretched by 1/cos(latitude) so Thailand is not squashed.
    ax.set_aspect(1 / math.cos(math.radians(13)), adjustable="box", anchor="C")
    ax.add_patch(
        Polygon(OUTLINE, closed=True, facecolor="#eef1f4", edgecolor="#9aa5b1", linewidth=0.8)
    )
    ax.apply_aspect()
    # Figure points (= SVG user units at 72 dpi): where labels and the legend go.
    points = Affine2D().scale(1 / 72) + fig.dpi_scale_trans
    to_points = ax.transData + points.inverted()

    cmap = mpl.colormaps["YlOrRd"]

    def colour(value: float) -> tuple[float, float, float, float]:
        return cmap(0.25 + 0.75 * value / (top or 1))

    def diameter(value: float) -> float:
        return max(MAX_DIAMETER * math.sqrt(value / top), MIN_DIAMETER)

    taken: list[tuple[float, float, float, float]] = []
    centres: list[tuple[float, float, float]] = []
    for item in placed:
        x, y = to_points.transform((item.province.lon, item.province.lat))
        radius = diameter(item.value) / 2
        centres.append((x, y, radius))
        taken.append((x - radius, y - radius, x + radius, y + radius))

    legend = _legend_values(top)
    if legend:
        # Reference circles in the empty sea south-east of the Gulf.
        lx, ly = to_points.transform((103.2, 9.2))
        ys, y = [], ly
        for value in legend:
            y -= diameter(value) / 2
            ys.append(y)
            y -= diameter(value) / 2 + 5
        ax.scatter(
            [lx + MAX_DIAMETER / 2] * len(legend),
            ys,
            s=[diameter(v) ** 2 for v in legend],
            c=[colour(v) for v in legend],
            edgecolors="#5a3a1a",
            linewidths=0.6,
            alpha=0.85,
            transform=points,
            zorder=3,
        )
        for value, cy in zip(legend, ys, strict=True):
            ax.text(lx + MAX_DIAMETER + 5, cy, _number(value), transform=points, va="center")
        if value_label:
            ax.text(lx, ly + 6, value_label, transform=points, va="bottom")

    if placed:
        # One collection, largest first so small circles stay on top and clickable.
        # Each point gets a placeholder URL that _finish turns into its link or
        # tooltip group: matplotlib writes per-point URLs but no per-point titles.
        dots = ax.scatter(
            [p.province.lon for p in placed],
            [p.province.lat for p in placed],
            s=[diameter(p.value) ** 2 for p in placed],
            c=[colour(p.value) for p in placed],
            edgecolors="#5a3a1a",
            linewidths=0.6,
            alpha=0.85,
            zorder=3,
        )
        dots.set_urls([f"{_TIP}{i}" for i in range(len(placed))])

    frame = [
        float(v) for v in to_points.transform([(_LON_MIN, _LAT_MIN), (_LON_MAX, _LAT_MAX)]).ravel()
    ]
    for item, (x, y, radius) in zip(placed[:LABELLED], centres, strict=False):
        name = item.province.name(language)
        spot = _label_spot(x, y, radius, _text_width(name, LABEL_SIZE), frame, taken)
        if spot is None:
            continue  # no room: the name stays in the tooltip and the description
        cx, cy, box, distance = spot
        taken.append(box)
        ax.text(
            cx,
            cy,
            name,
            transform=points,
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            color="#1f2933",
            zorder=10,
        )
        if distance > _OFFSET_STEPS[0]:
            # A leader from the label's edge to the circle's.
            ex = min(max(x, box[0]), box[2])
            ey = min(max(y, box[1]), box[3])
            length = math.hypot(ex - x, ey - y) or 1
            ax.plot(
                [ex, x + (ex - x) * radius / length],
                [ey, y + (ey - y) * radius / length],
                transform=points,
                color="#52606d",
                linewidth=0.5,
                zorder=9,
            )
    return fig


_OFFSET_STEPS = (3.0, 10.0, 18.0, 28.0, 40.0)


def _label_spot(
    x: float,
    y: float,
    radius: float,
    width: float,
    frame: Sequence[float],
    taken: Sequence[tuple[float, float, float, float]],
) -> tuple[float, float, tuple[float, float, float, float], float] | None:
    """The first place around a circle, nearest first, where a label of ``width``
    points overlaps no circle and no other label and stays inside the map."""
    height = LABEL_SIZE * 1.5
    for distance in _OFFSET_STEPS:
        for dx, dy in _OFFSETS:
            cx = x + dx * (radius + distance + (width / 2 if dx else 0))
            cy = y + dy * (radius + distance + (height / 2 if dy else 0))
            box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
            inside = frame[0] <= box[0] and box[2] <= frame[2]
            inside = inside and frame[1] <= box[1] and box[3] <= frame[3]
            if inside and not any(_overlaps(box, other) for other in taken):
                return cx, cy, box, distance
    return None


def _legend_values(top: float) -> list[float]:
    """The largest value and up to two round values below it, for the size legend."""
    if top <= 0:
        return []
    values = [top]
    for tick in MaxNLocator(nbins=3, steps=[1, 2, 5, 10]).tick_values(0, top)[::-1]:
        if 0 < tick < top * 0.8 and len(values) < 3 and (top < 10 or float(tick).is_integer()):
            values.append(float(tick))
    return values


def _finish(svg: str, *, title: str, desc: str, circles: Sequence[tuple[str, str | None]]) -> str:
    """Inline-ready SVG: no prologue or doctype, responsive width, role and accessible
    name, ids unique per picture, links opening in the same tab, a tooltip per circle."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    prefix = "m" + hashlib.sha1(svg.encode(), usedforsecurity=False).hexdigest()[:8]
    # Only matplotlib's own ids and references to them, so several maps fit one page.
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def local(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    svg = re.sub(r'\b(id=")([^"]+)', local, svg)
    svg = re.sub(r"(url\(#)([^)]+)", local, svg)
    svg = re.sub(r'(xlink:href="#)([^"]+)', local, svg)

    def circle(match: re.Match[str]) -> str:
        tooltip, href = circles[int(match.group(1))]
        inner = f"<title>{escape(tooltip)}</title>{match.group(2)}"
        if href is None:
            return f'<g class="province">{inner}</g>'
        return f'<a xlink:href={quoteattr(href)} class="province">{inner}</a>'

    svg = re.sub(
        rf'<a xlink:href="{_TIP}(\d+)" target="_blank">(.*?)</a>', circle, svg, flags=re.DOTALL
    )
    svg = _presentation_attributes(svg)
    head = re.match(r"<svg\b[^>]*>", svg)
    assert head is not None  # matplotlib always writes one
    tag = re.sub(r'\s(?:width|height)="[^"]*"', "", head.group(0))
    tag = tag.replace(
        "<svg",
        f'<svg width="100%" role="img" aria-labelledby="{prefix}-title {prefix}-desc"'
        ' stroke-linejoin="round" stroke-linecap="butt"',
        1,
    )
    body = (
        f'\n <title id="{prefix}-title">{escape(title)}</title>'
        f'\n <desc id="{prefix}-desc">{escape(desc)}</desc>'
    )
    return tag + body + svg[head.end() :]


# Properties that SVG also accepts as attributes (all matplotlib writes in style="…").
_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linejoin",
        "stroke-linecap",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-miterlimit",
        "opacity",
        "font-size",
        "font-family",
        "font-weight",
        "font-style",
        "font-stretch",
        "text-anchor",
    }
)


def _presentation_attributes(svg: str) -> str:
    """``style="fill: red"`` as ``fill="red"``, and no ``<style>`` sheet. Inline in HTML a
    sheet's ``*`` rule would reach the whole page, and WeasyPrint reads style attributes
    as HTML CSS first, warning about every SVG-only property in the log of each PDF."""
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg, count=1)

    def attributes(match: re.Match[str]) -> str:
        kept, moved = [], []
        for declaration in match.group(1).split(";"):
            name, _colon, value = declaration.partition(":")
            name, value = name.strip(), value.strip()
            if not name:
                continue
            if name in _PRESENTATION:
                moved.append(f"{name}={quoteattr(value)}")
            else:
                kept.append(f"{name}: {value}")
        if kept:
            moved.append(f"style={quoteattr('; '.join(kept))}")
        return " ".join(moved)

    return re.sub(r'style="([^"]*)"', attributes, svg)
