"""The statistics page, `/stats`: backlog, throughput, quality and processing at a glance.

The figures are station.stats.figures' (SQL aggregates); this module only chooses who sees
which, draws them (station.stats.charts, SVG on the server) and hands them on as tables:
every chart has a `<table>` with the same numbers beside it, and each table downloads as
CSV (UTF-8 with a BOM, so Excel reads Vietnamese) or, all together, as XLSX.

Archivists and admins see everything. Operators and reviewers see only their own
throughput rows: a colleague's pace is not theirs to compare.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from qa.app import templates
from qa.forms import period
from qa.security import CurrentUser, settings_of, store_of
from station.errors import InvalidInputError, NotAllowedError
from station.i18n import N_, _
from station.review import rules
from station.spreadsheet import append_text_row, csv_row
from station.stats import charts
from station.stats.figures import iso_week
from station.store import User

router = APIRouter(include_in_schema=False)

TABLES = ("backlog", "throughput", "quality", "processing")
BURN_DOWNS_SHOWN = 4  # fonds with a burn-down chart; the table has them all
SERIES_SHOWN = 6  # operators drawn per day (one dash each); the table has them all
Text = Annotated[str, Query(max_length=200)]


def _figure(value: Any) -> Any:
    """Numbers in tables as on the charts (12,345; 2.5); anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return charts.number(float(value))
    return value


templates.env.filters["figure"] = _figure

BACKLOG_COLUMNS = (
    ("fonds_code", N_("Phông (fonds)")),
    ("box_no", N_("Hộp số (box)")),
    ("manifest_sheets", N_("Sheets in manifest")),
    ("scanned_sheets", N_("Sheets scanned")),
    ("reviewed_pages", N_("Pages reviewed")),
    ("approved_folders", N_("Folders approved")),
    ("exported_folders", N_("Folders exported")),
    ("projected_completion", N_("Projected completion")),
)
THROUGHPUT_COLUMNS = (
    ("role", N_("Role")),
    ("who", N_("Who")),
    ("day", N_("Day")),
    ("pages", N_("Pages")),
    ("batches", N_("Batches")),
    ("decisions", N_("Decisions")),
    ("pages_per_hour", N_("Pages per hour")),
)


@dataclass
class Table:
    """Rows of plain values under headers: one chart's numbers, a CSV, an XLSX sheet."""

    headers: list[str]
    rows: list[list[Any]]


@dataclass
class Panel:
    """One chart and its table, side by side on the page."""

    title: str
    svg: Markup
    table: Table
    note: str = ""


@dataclass
class Section:
    key: str  # also the CSV table's name
    heading: str
    panels: list[Panel] = field(default_factory=list)
    summary: str = ""


# --- who sees what ----------------------------------------------------------------------------


def sees_everything(user: User) -> bool:
    try:
        rules.require_role(user, "archivist", N_("all statistics"))
    except NotAllowedError:
        return False
    return True


def own_figures(figures: Mapping[str, Any], user: User) -> dict[str, Any]:
    """What the user may see: everything for archivists and admins; for an operator or a
    reviewer only their own throughput rows (by username), nothing else."""
    if sees_everything(user):
        return dict(figures)
    rows = [r for r in throughput_rows(figures) if r["who"] == user.username]
    return {"throughput_rows": rows}


# --- the figures as flat rows (the one place that knows figures.py's shapes) -----------------


def throughput_rows(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per operator and per reviewer: a total row (day "") and a row per day."""
    if "throughput_rows" in figures:  # already cut down to one user's own
        return list(figures["throughput_rows"])
    out: list[dict[str, Any]] = []
    for role in ("operator", "station", "reviewer"):
        for row in _entries(figures.get("throughput", {}).get(role, []), role):
            who = str(row.get(role) or row.get("name") or row.get("username") or "")
            out.append(_throughput_row(role, who, "", row))
            for day, values in _days(row):
                out.append(_throughput_row(role, who, day, values))
    return out


def _throughput_row(role: str, who: str, day: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "role": role,
        "who": who,
        "day": day,
        "pages": row.get("pages", 0) or 0,
        "batches": row.get("batches", 0) or 0,
        "decisions": row.get("decisions", 0) or 0,
        "pages_per_hour": row.get("pages_per_hour"),
    }


def _entries(value: Any, key: str) -> list[Mapping[str, Any]]:
    """Rows given as a list of dicts, or as {name: {figures}}."""
    if isinstance(value, Mapping):
        return [{key: name, **(v if isinstance(v, Mapping) else {})} for name, v in value.items()]
    return [v for v in value or [] if isinstance(v, Mapping)]


def _days(row: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """A row's per-day figures, as [(ISO day, {figures})], oldest first."""
    days = row.get("days", row.get("per_day", row.get("day", [])))
    if isinstance(days, Mapping):
        pairs = [(str(d), v if isinstance(v, Mapping) else {"value": v}) for d, v in days.items()]
    else:
        pairs = [(str(v.get("day", "")), v) for v in days or [] if isinstance(v, Mapping)]
    return sorted(pairs, key=lambda pair: pair[0])


def _counts(value: Any, key: str) -> list[tuple[str, float]]:
    """Counts given as {label: n} or [{key: label, count: n}], largest first."""
    if isinstance(value, Mapping):
        pairs = [(str(k), float(v or 0)) for k, v in value.items()]
    else:
        pairs = [
            (str(v.get(key, "")), float(v.get("count", v.get("pages", 0)) or 0))
            for v in value or []
            if isinstance(v, Mapping)
        ]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


QUALITY = (  # (measure, key in list-shaped figures, chart title, table header)
    ("rejects", "reason", N_("Rejected pages by reason"), N_("Reason")),
    ("flags", "kind", N_("Machine flags by kind"), N_("Flag")),
    ("failed_files", "cause", N_("Failed files by cause"), N_("Cause")),
)


def quality_counts(quality: Mapping[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Rejects, flags and failures, each as (label people read, count), largest first."""
    out = {}
    for measure, key, _label, _note in QUALITY:
        counts = _counts(quality.get(measure, {}), key)
        if measure == "rejects":
            counts = [(_reason(label), n) for label, n in counts]
        elif measure == "flags":
            counts = [(label.replace("_", " "), n) for label, n in counts]
        out[measure] = counts
    return out


SOURCES = (
    ("operator", N_("Operator")),
    ("profile", N_("Profile")),
    ("station", N_("Scanning station")),
)


BY_SOURCE_TITLES = {
    "operator": N_("Rejected pages by operator"),
    "profile": N_("Rejected pages by profile"),
    "station": N_("Rejected pages by scanning station"),
}


def rejects_by_source(quality: Mapping[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Rejected pages summed per operator, per profile and per scanning station, largest
    first: which hands, settings or scanner cost the most rescans."""
    out = {}
    for key, _label in SOURCES:
        sums: dict[str, float] = {}
        for row in _entries(quality.get("rejects_by_source", []), key):
            name = str(row.get(key) or "–")
            sums[name] = sums.get(name, 0.0) + float(row.get("rejects") or 0)
        out[key] = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
    return out


def confidence_bins(quality: Mapping[str, Any]) -> list[tuple[float, float, float]]:
    """The OCR confidence histogram's ten ranges, empty ones included."""
    pages = {
        int(b["from"]): float(b["pages"]) for b in _entries(quality.get("ocr_confidence"), "from")
    }
    return [(low, low + 10.0, pages.get(low, 0.0)) for low in range(0, 100, 10)]


def _reason(reason: str) -> str:
    """A stored reason ("blurred", "other: torn") as reviewers chose it: "Blurred (Mờ)"."""
    code, _sep, note = reason.partition(":")
    known = rules.REJECT_REASONS.get(code.strip())
    label = _(known) if known else code.strip()
    return f"{label}: {note.strip()}" if note.strip() else label


def _stages(processing: Any) -> list[tuple[str, float, float]]:
    stages = processing.get("stages", processing) if isinstance(processing, Mapping) else {}
    out = []
    for row in _entries(stages, "stage"):
        if isinstance(row.get("p50_ms"), int | float):
            out.append((str(row.get("stage", "")), float(row["p50_ms"]), float(row["p95_ms"])))
    return out


def tables(figures: Mapping[str, Any]) -> dict[str, Table]:
    """The four downloadable tables, flat, with the same numbers as the page."""
    backlog = Table(
        [_(h) for _key, h in BACKLOG_COLUMNS],
        [
            [row.get(k) if row.get(k) is not None else "" for k, _h in BACKLOG_COLUMNS]
            for row in _entries(figures.get("backlog", []), "fonds_code")
        ],
    )
    throughput = Table(
        [_(h) for _key, h in THROUGHPUT_COLUMNS],
        [
            [r[k] if r[k] is not None else "" for k, _h in THROUGHPUT_COLUMNS]
            for r in throughput_rows(figures)
        ],
    )
    quality_figures = figures.get("quality", {})
    quality = Table([_("Measure"), _("Kind"), _("Count")], [])
    for measure, counts in quality_counts(quality_figures).items():
        quality.rows += [[measure, label, count] for label, count in counts]
    if "rescans" in quality_figures:
        quality.rows.append(["rescans", "", _total(quality_figures["rescans"])])
    for key, sums in rejects_by_source(quality_figures).items():
        quality.rows += [[f"rejects_by_{key}", name, n] for name, n in sums]
    quality.rows += [
        ["ocr_confidence", f"{low:g}-{high:g}", n]
        for low, high, n in confidence_bins(quality_figures)
    ]
    processing = Table(
        [_("Stage"), _("Median (ms)"), _("95th percentile (ms)")],
        [list(s) for s in _stages(figures.get("processing", {}))],
    )
    every = {"backlog": backlog, "throughput": throughput, "quality": quality}
    every["processing"] = processing
    if "throughput_rows" in figures:  # one user's own figures: their throughput only
        return {"throughput": throughput}
    return every


def _total(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return float(value.get("total", sum(_total(v) for v in value.values())))
    return float(sum(_total(v) for v in value)) if isinstance(value, list) else 0.0


# --- the figures as charts --------------------------------------------------------------------


def sections(figures: Mapping[str, Any]) -> list[Section]:
    """The mapping from figures to charts: which chart shows which numbers, in page order."""
    out = []
    if "backlog" in figures:
        out.append(_backlog(_entries(figures["backlog"], "fonds_code")))
    out.append(_throughput(throughput_rows(figures)))
    if "quality" in figures:
        quality = figures["quality"]
        counts = quality_counts(quality)
        panels = [_bars(_(title), _(header), counts[m]) for m, _key, title, header in QUALITY]
        by_source = rejects_by_source(quality)
        panels += [  # only where there is something to break down
            _bars(_(BY_SOURCE_TITLES[k]), _(h), by_source[k]) for k, h in SOURCES if by_source[k]
        ]
        bins = confidence_bins(quality)
        title = _("OCR confidence of the latest pages read")
        if any(n for *_, n in bins):
            histogram = Markup(charts.histogram(title, bins))
            rows = [[f"{lo:g}–{hi:g}", n] for lo, hi, n in bins]
            panels.append(Panel(title, histogram, Table([_("Confidence"), _("Pages")], rows)))
        rescans = _(
            "Pages sent back for rescan: %(n)s",
            n=charts.number(_total(quality.get("rescans", 0))),
        )
        out.append(Section("quality", _("Quality"), panels, summary=rescans))
    if "processing" in figures:
        stages = _stages(figures["processing"])
        out.append(
            Section(
                "processing",
                _("Processing"),
                [
                    _groups(
                        _("Time per stage (ms)"),
                        _("Stage"),
                        [s for s, _m, _p in stages],
                        [
                            (_("Median"), [m for _s, m, _p in stages]),
                            (_("95th percentile"), [p for *_rest, p in stages]),
                        ],
                    )
                ],
                summary=_pace(figures["processing"]),
            )
        )
    return out


def _backlog(rows: list[Mapping[str, Any]]) -> Section:
    fonds = [r for r in rows if not r.get("box_no")]
    measures = [(k, _(h)) for k, h in BACKLOG_COLUMNS[2:5]]
    panels = [
        _groups(
            _("Backlog per fonds (phông)"),
            "Phông",
            [str(r.get("fonds_code", "")) for r in fonds],
            [(h, [float(r.get(k) or 0) for r in fonds]) for k, h in measures],
            folders=[(str(r.get("fonds_code", "")), r) for r in fonds],
        )
    ]

    def left(row: Mapping[str, Any]) -> float:
        return float(row.get("manifest_sheets") or 0) - float(row.get("scanned_sheets") or 0)

    moving = sorted((r for r in fonds if _days(r)), key=lambda r: (-left(r), str(r["fonds_code"])))
    panels += [_burn_down(r) for r in moving[:BURN_DOWNS_SHOWN]]
    if len(fonds) == 1:  # one fonds (chosen, or the only one): its boxes with most left too
        boxes = sorted((r for r in rows if r.get("box_no") and _days(r)), key=lambda r: -left(r))
        panels += [_burn_down(r) for r in boxes[: BURN_DOWNS_SHOWN - 1]]
    return Section("backlog", _("Backlog"), panels)


BURN_DOWN_COLUMNS = (
    ("scanned_sheets", N_("Sheets scanned")),
    ("reviewed_pages", N_("Pages reviewed")),
    ("approved_folders", N_("Folders approved")),
    ("exported_folders", N_("Folders exported")),
)


def _burn_down(row: Mapping[str, Any]) -> Panel:
    """Running totals per day against the manifest's sheets (figures.py's `days`), and the
    pace's dashed line from the last day's sheets scanned to the projected completion."""
    fonds = str(row.get("fonds_code", ""))
    box = str(row.get("box_no") or "")
    manifest = float(row.get("manifest_sheets") or 0)
    days = [(date.fromisoformat(day[:10]), values) for day, values in _days(row)]
    lines = [
        (_(header), [(day, float(values.get(key) or 0)) for day, values in days])
        for key, header in BURN_DOWN_COLUMNS[:2]
    ]
    if days:
        sheets = [(days[0][0], manifest), (days[-1][0], manifest)]
        lines.insert(0, (_("Sheets in manifest"), sheets))
    projection = None
    done = row.get("projected_completion")
    scanned = float(days[-1][1].get("scanned_sheets") or 0) if days else 0.0
    if done and days and scanned < manifest:
        end = date.fromisoformat(str(done)[:10])
        projection = charts.Projection(
            days[-1][0], scanned, end, manifest, _("Projected completion")
        )
    where = f"phông {fonds}" + (f", hộp {box}" if box else "")
    title = _(
        "Burn-down of %(where)s: running totals against %(sheets)s sheets",
        where=where,
        sheets=charts.number(manifest),
    )
    svg = charts.line_chart(title, lines, projection=projection)
    table = Table(
        [_("Day"), *(_(h) for _key, h in BURN_DOWN_COLUMNS), _("Sheets left")],
        [
            [
                day.isoformat(),
                *(float(values.get(k) or 0) for k, _h in BURN_DOWN_COLUMNS),
                max(0.0, manifest - float(values.get("scanned_sheets") or 0)),
            ]
            for day, values in days
        ],
    )
    note = (
        _(
            "Projected completion at the pace of the last 4 weeks: %(day)s",
            day=f"{projection.end:%d/%m/%Y}",
        )
        if projection
        else _("Every sheet scanned")
        if days and scanned >= manifest
        else _("No pace in the last 4 weeks")
    )
    return Panel(title, Markup(svg), table, note)


def _throughput(rows: list[dict[str, Any]]) -> Section:
    totals = [r for r in rows if not r["day"]]
    operators = [r for r in totals if r["role"] == "operator"]
    reviewers = [r for r in totals if r["role"] == "reviewer"]
    pages = _bars(
        _("Pages scanned per operator"),
        _("Operator"),
        [(r["who"], r["pages"]) for r in operators],
    )
    pages.table = Table(
        [_("Operator"), _("Pages"), _("Batches"), _("Pages per hour")],
        [[r["who"], r["pages"], r["batches"], _or_blank(r["pages_per_hour"])] for r in operators],
    )
    decisions = [(r["who"], r["decisions"]) for r in reviewers]
    stations = [(r["who"] or "–", r["pages"]) for r in totals if r["role"] == "station"]
    panels = [
        pages,
        *(
            [_bars(_("Pages scanned per station"), _("Scanning station"), stations)]
            if stations
            else []
        ),
        _bars(_("Review decisions per reviewer"), _("Reviewer"), decisions),
        _per_day([r for r in rows if r["day"] and r["role"] == "operator"]),
        _per_week([r for r in rows if r["day"] and r["role"] == "operator"]),
    ]
    return Section("throughput", _("Throughput"), panels)


def _or_blank(value: Any) -> Any:
    return "" if value is None else value


def _per_day(rows: list[dict[str, Any]]) -> Panel:
    """Pages per day, one line per operator (the busiest few), with the table of all."""
    people = sorted({r["who"] for r in rows})
    busiest = sorted(people, key=lambda w: -sum(r["pages"] for r in rows if r["who"] == w))
    series = [
        (
            who,
            [
                (date.fromisoformat(r["day"][:10]), float(r["pages"]))
                for r in rows
                if r["who"] == who
            ],
        )
        for who in busiest[:SERIES_SHOWN]
    ]
    title = _("Pages scanned per day")
    days = sorted({r["day"][:10] for r in rows})
    pages = {(r["day"][:10], r["who"]): r["pages"] for r in rows}
    table = Table([_("Day"), *people], [[d, *(pages.get((d, w), 0) for w in people)] for d in days])
    return Panel(title, Markup(charts.line_chart(title, series)), table)


def _per_week(rows: list[dict[str, Any]]) -> Panel:
    """Pages per ISO week, the room's total as bars, the table per operator."""
    people = sorted({r["who"] for r in rows})
    pages: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (iso_week(r["day"]), r["who"])
        pages[key] = pages.get(key, 0) + r["pages"]
    weeks = sorted({week for week, _ in pages})
    totals = [(w, sum(pages.get((w, p), 0) for p in people)) for w in weeks]
    title = _("Pages scanned per week")
    table = Table(
        [_("Week"), _("All"), *people],
        [[w, total, *(pages.get((w, p), 0) for p in people)] for w, total in totals],
    )
    return Panel(title, Markup(charts.bar_chart(title, totals)), table)


def _bars(title: str, header: str, items: Sequence[tuple[str, float]]) -> Panel:
    table = Table([header, _("Count")], [[label, value] for label, value in items])
    return Panel(title, Markup(charts.bar_chart(title, items)), table)


def _groups(
    title: str,
    header: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    folders: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> Panel:
    table = Table([header, *(name for name, _ in series)], [])
    for i, category in enumerate(categories):
        table.rows.append([category, *(values[i] for _, values in series)])
    extra = dict(folders)
    if extra:  # folders approved and exported: another unit, in the table only
        table.headers += [_("Folders approved"), _("Folders exported")]
        for line in table.rows:
            row = extra.get(line[0], {})
            line += [row.get("approved_folders") or 0, row.get("exported_folders") or 0]
    return Panel(title, Markup(charts.grouped_bar_chart(title, categories, series)), table)


def _pace(processing: Any) -> str:
    rate = processing.get("pages_per_minute") if isinstance(processing, Mapping) else None
    pace = _("Pages per minute: %(n)s", n=charts.number(float(rate))) if rate is not None else ""
    now = processing.get("now", {}) if isinstance(processing, Mapping) else {}
    return " · ".join([pace, *now.get("summary", [])]).strip(" ·")


# --- the page and the downloads ---------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The page's GET form, as typed: the same four fields on the page and its downloads."""

    since: str = ""
    until: str = ""
    fonds: str = ""
    profile: str = ""

    def kept(self) -> dict[str, str]:
        """The fields given, for the download links."""
        return {k: v for k, v in asdict(self).items() if v}


def _filters(since: Text = "", until: Text = "", fonds: Text = "", profile: Text = "") -> Filters:
    return Filters(since, until, fonds, profile)


FilterQuery = Annotated[Filters, Depends(_filters)]


def _figures(request: Request, user: User, f: Filters) -> dict[str, Any]:
    """The figures for the filters, cut down to what the user may see. (Imported here, not
    at the top: the pure parts of this module, tables and charts, stand without the SQL.)"""
    from station.stats.figures import StatsFilter, add_work_now, compute

    rules.require_role(user, "operator", N_("statistics"))
    start, end = period(f.since, f.until)
    chosen = StatsFilter(start, end, f.fonds.strip() or None, f.profile.strip() or None)
    figures = compute(store_of(request), chosen)
    add_work_now(figures, store_of(request), settings_of(request))
    return own_figures(figures, user)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    user: CurrentUser,
    f: FilterQuery,
) -> Response:
    """The figures as charts with their tables, the filters as a GET form."""
    figures = _figures(request, user, f)
    kept = f.kept()
    every = sees_everything(user)
    fonds_codes = sorted(
        {str(r.get("fonds_code")) for r in _entries(figures.get("backlog", []), "fonds_code")}
        | ({f.fonds} if f.fonds else set())
    )
    return templates.TemplateResponse(
        request,
        "stats.html",
        {
            "user": user,
            "sections": sections(figures),
            "filters": asdict(f),
            "fonds_codes": fonds_codes,
            "profiles": store_of(request).review_profiles() if every else [],
            "everything": every,
            "download": lambda table: "/stats.csv?" + urlencode({"table": table, **kept}),
            "workbook": "/stats.xlsx" + ("?" + urlencode(kept) if kept else ""),
        },
    )


@router.get("/stats.csv")
def stats_csv(
    request: Request,
    user: CurrentUser,
    f: FilterQuery,
    table: Annotated[str, Query(max_length=20)] = "backlog",
) -> Response:
    """One table as CSV: UTF-8 with a BOM, and no cell a spreadsheet would run."""
    if table not in TABLES:
        raise InvalidInputError(
            _(
                "table must be one of %(tables)s, not %(table)r",
                tables=", ".join(TABLES),
                table=table,
            )
        )
    shown = tables(_figures(request, user, f))
    if table not in shown:
        raise NotAllowedError(_("The %(table)s figures need the archivist role", table=table))
    return Response(
        to_csv(shown[table]).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"station-{table}.csv"),
    )


@router.get("/stats.xlsx")
def stats_xlsx(
    request: Request,
    user: CurrentUser,
    f: FilterQuery,
) -> Response:
    """Every table the user may see, one sheet each, in one workbook."""
    return Response(
        to_xlsx(tables(_figures(request, user, f))),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_attachment("station-stats.xlsx"),
    )


def to_xlsx(shown: Mapping[str, Table]) -> bytes:
    """One sheet per table, bold frozen headers, numbers as numbers, text never a formula."""
    # openpyxl has no type information (types-openpyxl is not a dependency).
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]

    book = Workbook()
    book.remove(book.active)
    for name, found in shown.items():
        sheet = book.create_sheet(name)
        append_text_row(sheet, found.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in found.rows:
            append_text_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_row(table.headers))
    writer.writerows(csv_row(row) for row in table.rows)
    return out.getvalue()


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
