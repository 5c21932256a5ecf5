"""Charts of report tables, drawn once as SVG for the dashboard and the PDF alike.

Why server-side SVG (matplotlib): the same picture appears on the page, in the PDF and
without JavaScript; a bar is a link to the list behind it; the page works offline and
every chart has a table alternative beside it. Text stays text (``svg.fonttype``
none) in Sarabun, so Thai is shaped by the browser or WeasyPrint, and screen readers
get the chart's title and a summary (``role="img"``, ``<title>``, ``<desc>``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language
from matplotlib import font_manager
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .definitions import Column, ColumnKind, Table

#: The portal's brand blue first, then colours that stay apart for colour-blind readers.
PALETTE = ("#0b3d91", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
MAX_BARS = 20

Link = Callable[[dict[str, Any]], str]


@functools.cache
def _fonts() -> None:
    """Register Sarabun with matplotlib once, so its layout measures Thai correctly."""
    for path in sorted(settings.SARABUN_DIR.glob("Sarabun-*.ttf")):
        font_manager.fontManager.addfont(str(path))


def _style() -> Any:
    _fonts()
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "bizportal",
        "font.family": ["Sarabun", "DejaVu Sans"],
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


#: How long a drawn chart is kept: the figures behind it change at most once a minute
#: (the refresh), and the key holds every figure, so a stale picture is never served.
CACHE_SECONDS = 3600


def svg(table: Table, *, link: Link | None = None) -> str:
    """The chart of ``table`` as an inline ``<svg>`` (empty string: no chart).

    Drawing takes tens of milliseconds a chart; the picture is cached under a digest
    of everything drawn (figures, labels, links, language), so a dashboard opened
    again by anyone with the same figures costs a cache read."""
    chart = table.chart
    if chart is None or not table.rows:
        return ""
    key = "reports:chart:" + _digest(table, link)
    cached = cache.get(key)
    if cached is None:
        cached = _svg(table, link)
        cache.set(key, cached, CACHE_SECONDS)
    return str(cached)


def _digest(table: Table, link: Link | None) -> str:
    assert table.chart is not None
    payload = {
        "key": table.key,
        "title": str(table.title),
        "chart": [table.chart.kind, table.chart.category, list(table.chart.values)],
        "columns": [[c.key, str(c.label), str(c.kind)] for c in table.columns],
        "rows": table.rows,
        "links": [link(row) for row in table.rows] if link else [],
        "language": get_language(),
    }
    encoded = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def _svg(table: Table, link: Link | None) -> str:
    chart = table.chart
    assert chart is not None
    if chart.kind == "map":
        from .maps import province_map_svg

        value = _column(table, chart.values[0])
        return unique_ids(
            province_map_svg(
                {str(row[chart.category]): row.get(value.key) or 0 for row in table.rows},
                title=str(table.title),
                link=(lambda name: link({chart.category: name})) if link else None,
                value_label=str(value.label),
            ),
            table.key,
        )
    import matplotlib

    from .maps import RENDER_LOCK

    # rcParams are process-wide: one picture at a time (the map draws under it too).
    with RENDER_LOCK, matplotlib.rc_context(_style()):
        return _draw(table, link)


def _draw(table: Table, link: Link | None) -> str:
    assert table.chart is not None
    chart = table.chart
    rows = table.rows if chart.kind == "line" else table.rows[:MAX_BARS]
    labels = [_label(row.get(chart.category)) for row in rows]
    series = [_column(table, key) for key in chart.values]
    horizontal = chart.kind == "hbar"
    height = 0.9 + 0.32 * len(rows) if horizontal else 3.4
    figure = Figure(figsize=(7.5, max(2.4, height)), dpi=72)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    width = 0.8 / len(series)
    tips: list[str] = []
    for i, column in enumerate(series):
        values = [float(row.get(column.key) or 0) for row in rows]
        colour = PALETTE[i % len(PALETTE)]
        if chart.kind == "line":
            axes.plot(positions, values, marker="o", color=colour, label=str(column.label))
            continue
        offsets = [p + (i - (len(series) - 1) / 2) * width for p in positions]
        draw = axes.barh if horizontal else axes.bar
        bars = draw(offsets, values, width, color=colour, label=str(column.label))
        if link is not None:
            for bar, row, label in zip(bars, rows, labels, strict=True):
                bar.set_url(link(row))
                tips.append(f"{label}: {_number(row.get(column.key) or 0, column.kind)}")
    _axes(
        axes,
        labels,
        series[0],
        horizontal=horizontal,
        rotate=chart.kind != "hbar" and len(rows) > 6,
    )
    if len(series) > 1:
        axes.legend(frameon=False, loc="best")
    figure.tight_layout()
    return _links(_finish(figure, table, rows, series), tips)


def _links(svg_text: str, tips: list[str]) -> str:
    """Bars open the list behind them in the same tab, with their figure as a tooltip.
    Out of the tab order: keyboard and screen-reader users have the same links in the
    table under the chart (the chart itself is one image to them)."""
    remaining = iter(tips)

    def rewrite(match: re.Match[str]) -> str:
        href = match.group(1)
        tip = escape(next(remaining, ""))
        return f'<a href="{href}" xlink:href="{href}" tabindex="-1"><title>{tip}</title>'

    return re.sub(r'<a xlink:href="([^"]*)" target="_blank">', rewrite, svg_text)


def _axes(axes: Any, labels: list[str], value: Column, *, horizontal: bool, rotate: bool) -> None:
    formatter = FuncFormatter(lambda v, _pos: _number(v, value.kind))
    # Counts step by whole numbers: no "1, 1, 2, 2" ticks on a small chart.
    locator = MaxNLocator(integer=value.kind == ColumnKind.COUNT)
    if horizontal:
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(formatter)
        axes.grid(axis="x", color="#dde3ec")
    else:
        axes.set_xticks(
            range(len(labels)),
            labels,
            rotation=45 if rotate else 0,
            ha="right" if rotate else "center",
        )
        axes.yaxis.set_major_locator(locator)
        axes.yaxis.set_major_formatter(formatter)
        axes.grid(axis="y", color="#dde3ec")
    axes.set_axisbelow(True)
    # Counts and amounts from zero: a cut axis would exaggerate a change.
    if horizontal:
        axes.set_xlim(left=0)
    else:
        axes.set_ylim(bottom=0)


def _finish(figure: Figure, table: Table, rows: list[dict[str, Any]], series: list[Column]) -> str:
    out = io.StringIO()
    FigureCanvasSVG(figure).print_svg(out, metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    text = unique_ids(text[text.index("<svg") :], table.key)
    # Attributes, not styles: the page's Content-Security-Policy allows no inline style
    # (a styled SVG would draw black), and WeasyPrint reads SVG properties there.
    from .maps import presentation_attributes

    text = presentation_attributes(text)
    text = re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', text, count=1
    )
    title = escape(str(table.title))
    summary = escape(_summary(table, rows, series))
    return text.replace(
        "<svg",
        f'<svg role="img" aria-labelledby="chart-title-{table.key} chart-desc-{table.key}"',
        1,
    ).replace(
        "<metadata>",
        f'<title id="chart-title-{table.key}">{title}</title>'
        f'<desc id="chart-desc-{table.key}">{summary}</desc><metadata>',
        1,
    )


def unique_ids(svg_text: str, prefix: str) -> str:
    """Prefix every id (and every reference to one) in ``svg_text``: matplotlib names
    its elements ``patch_1``, ``axes_1`` … in every chart, and a page with several
    charts must not hold two elements with one id."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg_text))
    if not ids:
        return svg_text

    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        return (
            f"{match.group(1)}chart-{prefix}-{name}{match.group(3)}"
            if name in ids
            else match.group(0)
        )

    return re.sub(r'(\bid="|url\(#|href="#)([^")]+)(["\)])', rename, svg_text)


def _summary(table: Table, rows: list[dict[str, Any]], series: list[Column]) -> str:
    """What a screen reader hears: the largest values; the table beside has them all."""
    assert table.chart is not None
    first = series[0]
    ranked = sorted(rows, key=lambda row: row.get(first.key) or 0, reverse=True)[:3]
    return "; ".join(
        f"{_label(row.get(table.chart.category))}: {_number(row.get(first.key) or 0, first.kind)}"
        for row in ranked
    )


def _column(table: Table, key: str) -> Column:
    return next(column for column in table.columns if column.key == key)


def _label(value: Any) -> str:
    from django.utils.formats import date_format

    if hasattr(value, "strftime"):
        from django.utils.translation import get_language

        if (get_language() or "th").startswith("th"):
            from bizportal.core.thai import to_buddhist_year

            return f"{date_format(value, 'M')} {to_buddhist_year(value.year) % 100:02d}"
        return date_format(value, "M y")
    return str(value) if value not in (None, "") else "–"


def _number(value: float, kind: ColumnKind) -> str:
    if kind == ColumnKind.PERCENT:
        return f"{value * 100:.0f}%"
    if kind in (ColumnKind.DAYS, ColumnKind.SCORE):
        return f"{value:,.1f}"
    return f"{value:,.0f}"
