"""Charts for /stats, drawn on the server as SVG strings: no JavaScript, no network, no library.

Every chart scales to its container (`viewBox`, `width="100%"`), so one drawing serves a
1280 px screen, a 390 px phone and paper. People who print in black and white or cannot tell
colours apart read the same chart: every series has a pattern or a dash as well as a colour,
every bar its number written beside it, and the text is black. Labels go above their bars,
across the whole width, because Vietnamese names of fonds and people are long.

Each function returns one `<svg role="img">` with a `<title>` and an `aria-label`; empty data
gives a chart that says "No data" rather than an exception. Text is NFC and XML-escaped here,
once, so callers pass plain strings.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from station.i18n import _

WIDTH = 420  # viewBox units; the page scales it (0.85 on a 390 px phone: 12 px text)
FONT = 14
LABEL_CHARS = 56  # longer labels are cut with "…" (the full text is in the bar's <title>)
INK = "#111418"
GRID = "#c4cad1"
# (fill colour, pattern) per series: patterns keep series apart in grey print.
STYLES: tuple[tuple[str, str], ...] = (
    ("#24527a", "solid"),
    ("#2f7d4f", "hatch"),
    ("#9a6700", "dots"),
    ("#7d3c98", "cross"),
    ("#a40e26", "vertical"),
    ("#4b535d", "horizontal"),
)
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


@dataclass(frozen=True)
class Projection:
    """A dashed line from the last measured point to where the pace leads (a burn-down's
    projected completion)."""

    start: date
    start_value: float
    end: date
    end_value: float
    label: str


def text(value: object) -> str:
    """NFC and XML-escaped (quotes too: the same helper fills attributes)."""
    return escape(unicodedata.normalize("NFC", str(value)), {'"': "&quot;", "'": "&#39;"})


def number(value: float) -> str:
    """A figure as people read it: whole numbers without ".0", thousands apart."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2 or 5 times a power of ten apart,
    never less than 1: the figures are counts and milliseconds)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = max(1, next(m * power for m in (1, 2, 5, 10) if m * power >= raw))  # counts: whole
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _short(label: str) -> str:
    label = unicodedata.normalize("NFC", label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _ident(title: str) -> str:
    """An id prefix of the chart's own, so several charts on one page keep their patterns."""
    return "c" + hashlib.sha1(unicodedata.normalize("NFC", title).encode()).hexdigest()[:8]


def _svg(title: str, height: float, body: Sequence[str], *, summary: str = "") -> str:
    ident = _ident(title)
    label = f"{title}. {summary}" if summary else title
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} '
            f'{height:.0f}" width="100%" role="img" aria-label="{text(label)}" '
            f'font-family="Noto Sans, DejaVu Sans, sans-serif" font-size="{FONT}" fill="{INK}">',
            f'<title id="{ident}-title">{text(label)}</title>',
            _patterns(ident),
            *body,
            "</svg>",
        ]
    )


def _patterns(ident: str) -> str:
    shapes = {
        "solid": "",
        "hatch": '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.4"/>',
        "dots": '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
        "cross": '<path d="M0,3 h6 M3,0 v6" stroke="#fff" stroke-width="1.2"/>',
        "vertical": '<path d="M3,0 v6" stroke="#fff" stroke-width="1.4"/>',
        "horizontal": '<path d="M0,3 h6" stroke="#fff" stroke-width="1.4"/>',
    }
    defs = [
        f'<pattern id="{ident}-p{i}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{colour}"/>{shapes[kind]}</pattern>'
        for i, (colour, kind) in enumerate(STYLES)
    ]
    return "<defs>" + "".join(defs) + "</defs>"


def _fill(title: str, series: int) -> str:
    return f"url(#{_ident(title)}-p{series % len(STYLES)})"


def no_data(title: str, message: str | None = None) -> str:
    """A chart that says there is nothing to draw, the same size as a small chart."""
    message = message or _("No data for these filters")
    body = [
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="79" fill="none" stroke="{GRID}"/>',
        f'<text x="12" y="24" font-weight="700">{text(title)}</text>',
        f'<text x="12" y="54" class="no-data">{text(message)}</text>',
    ]
    return _svg(title, 80, body, summary=message)


def _scale(top: float, x0: float, y0: float, w: float, h: float, *, up: bool) -> list[str]:
    """The one value axis: grid lines and tick numbers for 0..top, growing up the plot
    (lines, histograms) or along it (horizontal bars), over the box x0, y0, w, h."""
    out = []
    for tick in nice_ticks(top):
        if tick > top:
            break
        if up:
            y = y0 + h * (1 - tick / top)
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="{GRID}"/>')
            out.append(
                f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="12">'
                f"{number(tick)}</text>"
            )
        else:
            x = x0 + w * tick / top
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + h}" stroke="{GRID}"/>')
            out.append(
                f'<text x="{x:.1f}" y="{y0 + h + 14:.1f}" text-anchor="middle" font-size="12">'
                f"{number(tick)}</text>"
            )
    if up:
        out.append(f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="{INK}"/>')
    return out


def _legend(title: str, names: Sequence[str], y: float, *, lines: bool = False) -> list[str]:
    """One row per series: its swatch (pattern, or dash for lines) and its name."""
    out = []
    for i, name in enumerate(names):
        top = y + i * 18
        if lines:
            out.append(
                f'<line x1="0" y1="{top + 6}" x2="22" y2="{top + 6}" stroke="{STYLES[i % 6][0]}"'
                f' stroke-width="2.5" stroke-dasharray="{DASHES[i % len(DASHES)]}"/>'
            )
        else:
            out.append(
                f'<rect x="0" y="{top}" width="22" height="12" fill="{_fill(title, i)}" '
                f'stroke="{INK}" stroke-width="0.6"/>'
            )
        out.append(f'<text x="28" y="{top + 11}" class="legend">{text(name)}</text>')
    return out


def bar_chart(title: str, items: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, one per (label, value), each label above its bar and its number
    after it: rejects by reason, pages per operator, flags by kind."""
    items = [(label, float(value)) for label, value in items]
    if not items or all(value == 0 for _, value in items):
        return no_data(title)
    return grouped_bar_chart(title, [label for label, _ in items], [("", [v for _, v in items])])


def grouped_bar_chart(
    title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """Per category (a fonds, a box), one bar per series side by side: a burn-down's sheets
    in the manifest against scanned, reviewed, approved and exported."""
    if not categories or not series or all(v == 0 for _, values in series for v in values):
        return no_data(title)
    top = max(max((float(v) for v in values), default=0.0) for _, values in series) or 1.0
    top = nice_ticks(top)[-1]
    bar, gap, x0, length = 14, 10, 8.0, WIDTH - 64.0
    legend = len(series) > 1 or bool(series[0][0])
    y = (len(series) * 18 + 6) if legend else 0.0
    body = _legend(title, [name for name, _ in series], 0) if legend else []
    start = y
    rows = []
    for c, category in enumerate(categories):
        rows.append(
            f'<text x="0" y="{y + FONT:.1f}" class="label" font-weight="600">'
            f"{text(_short(category))}<title>{text(category)}</title></text>"
        )
        y += FONT + 4
        for s, (name, values) in enumerate(series):
            value = float(values[c]) if c < len(values) else 0.0
            width = length * value / top
            rows.append(
                f'<rect class="bar" data-value="{value:g}" data-series="{s}" x="{x0}" '
                f'y="{y:.1f}" width="{width:.2f}" height="{bar}" fill="{_fill(title, s)}" '
                f'stroke="{INK}" stroke-width="0.6"><title>{text(category)}'
                f"{text(': ' + name if name else '')}: {number(value)}</title></rect>"
            )
            rows.append(
                f'<text x="{x0 + width + 4:.1f}" y="{y + bar - 3:.1f}" class="value" '
                f'font-size="13">{number(value)}</text>'
            )
            y += bar + 2
        y += gap
    body += _scale(top, x0, start, length, y - gap + 2 - start, up=False) + rows
    return _svg(title, y + 20, body, summary=f"{len(categories)} rows")


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[date, float]]]],
    *,
    projection: Projection | None = None,
) -> str:
    """Values over days, one line per series (each its own dash and marker), and a dashed
    projection to a date: sheets left in a fonds, falling towards its completion."""
    points = [p for _, values in series for p in values]
    if not points:
        return no_data(title)
    days = [d for d, _ in points] + ([projection.end] if projection else [])
    first, last = min(days), max(days)
    span = max(1, (last - first).days)
    high = max([v for _, v in points] + ([projection.start_value] if projection else []))
    top = nice_ticks(high or 1.0)[-1]
    legend_rows = len(series) + (1 if projection else 0)
    x0, y0, plot_w, plot_h = 44.0, legend_rows * 18 + 10.0, WIDTH - 60.0, 180.0

    def xy(day: date, value: float) -> tuple[float, float]:
        return x0 + plot_w * (day - first).days / span, y0 + plot_h * (1 - value / top)

    body = _legend(title, [name for name, _ in series], 0, lines=True)
    body += _time_axes(first, last, top, x0, y0, plot_w, plot_h)
    for i, (name, values) in enumerate(series):
        ordered = sorted(values)
        if not ordered:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(d, v) for d, v in ordered))
        colour, dash = STYLES[i % len(STYLES)][0], DASHES[i % len(DASHES)]
        body.append(
            f'<polyline class="line" data-series="{i}" points="{coords}" fill="none" '
            f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}">'
            f"<title>{text(name)}</title></polyline>"
        )
        for d, v in ordered if len(ordered) <= 60 else ():
            x, y = xy(d, v)
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{text(name)} {d:%d/%m/%Y}: {number(v)}</title></circle>"
            )
    if projection:
        body += _projection(projection, xy, len(series))
    return _svg(title, y0 + plot_h + 34, body, summary=f"{len(series)} series")


def _projection(
    p: Projection, xy: Callable[[date, float], tuple[float, float]], row: int
) -> list[str]:
    (x1, y1), (x2, y2) = xy(p.start, p.start_value), xy(p.end, p.end_value)
    return [
        f'<line class="projection" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{INK}" stroke-width="2" stroke-dasharray="5 4"/>',
        f'<circle cx="{x2:.1f}" cy="{y2:.1f}" r="3.5" fill="#fff" stroke="{INK}" '
        f'stroke-width="1.5"/>',
        f'<line x1="0" y1="{row * 18 + 6}" x2="22" y2="{row * 18 + 6}" stroke="{INK}" '
        f'stroke-width="2" stroke-dasharray="5 4"/>',
        f'<text x="28" y="{row * 18 + 11}" class="legend">{text(p.label)} '
        f"({p.end:%d/%m/%Y})</text>",
    ]


def _time_axes(
    first: date, last: date, top: float, x0: float, y0: float, w: float, h: float
) -> list[str]:
    """The value scale on the left, dates (dd/mm/yyyy, as archivists write them) below."""
    out = _scale(top, x0, y0, w, h, up=True)
    span = max(1, (last - first).days)
    marks = sorted({first.toordinal() + round(span * k / 3) for k in range(4)})
    for ordinal in marks:
        day = date.fromordinal(ordinal)
        x = x0 + w * (ordinal - first.toordinal()) / span
        anchor = "start" if ordinal == marks[0] else "end" if ordinal == marks[-1] else "middle"
        out.append(
            f'<text x="{x:.1f}" y="{y0 + h + 16:.1f}" text-anchor="{anchor}" font-size="12">'
            f"{day:%d/%m/%Y}</text>"
        )
    return out


def histogram(title: str, bins: Sequence[tuple[float, float, float]], *, unit: str = "") -> str:
    """Counts per range of a measure, bars touching (a distribution, not categories): OCR
    confidence, time per page. `bins` are (low, high, count), in order."""
    if not bins or all(count == 0 for _, _, count in bins):
        return no_data(title)
    top = nice_ticks(max(count for _, _, count in bins))[-1]
    x0, y0, plot_w, plot_h = 44.0, 8.0, WIDTH - 56.0, 170.0
    step = plot_w / len(bins)
    body = _scale(top, x0, y0, plot_w, plot_h, up=True)
    for i, (low, high, count) in enumerate(bins):
        height = plot_h * count / top
        x = x0 + i * step
        body.append(
            f'<rect class="bar" data-value="{count:g}" x="{x:.2f}" y="{y0 + plot_h - height:.2f}"'
            f' width="{step:.2f}" height="{height:.2f}" fill="{_fill(title, 0)}" stroke="{INK}" '
            f'stroke-width="0.6"><title>{number(low)}–{number(high)}{text(unit)}: '
            f"{number(count)}</title></rect>"
        )
        if count and len(bins) <= 12:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{y0 + plot_h - height - 3:.1f}" '
                f'text-anchor="middle" font-size="12">{number(count)}</text>'
            )
    every = max(1, math.ceil(len(bins) / 6))
    edges = [(i, bins[i][0]) for i in range(0, len(bins), every)] + [(len(bins), bins[-1][1])]
    for i, edge in edges:
        body.append(
            f'<text x="{x0 + i * step:.1f}" y="{y0 + plot_h + 16:.1f}" text-anchor="middle" '
            f'font-size="12">{number(edge)}{text(unit)}</text>'
        )
    return _svg(title, y0 + plot_h + 26, body, summary=f"{len(bins)} ranges")


def bins_of(
    values: Sequence[float], low: float, high: float, count: int
) -> list[tuple[float, float, float]]:
    """Values counted into `count` equal ranges from low to high (the top one closed)."""
    if count < 1 or high <= low:
        raise ValueError("bins need count >= 1 and high > low")
    width = (high - low) / count
    counts = [0] * count
    for value in values:
        if low <= value <= high:
            counts[min(count - 1, int((value - low) / width))] += 1
    return [(low + i * width, low + (i + 1) * width, float(n)) for i, n in enumerate(counts)]
