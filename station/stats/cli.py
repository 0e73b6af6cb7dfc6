"""`station stats` and `station report`: issue 13's figures for scripts and people.

Light at import (the figures, the report and the store load when a command runs): the
`station` command line imports this for every command.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from station.errors import BadArgumentError
from station.i18n import _

DateOption = Annotated[str | None, typer.Option(help="YYYY-MM-DD")]


def _date(option: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise BadArgumentError(
            _("%(option)s %(value)r: give a date as YYYY-MM-DD", option=option, value=value)
        ) from None


def stats(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    since: DateOption = None,
    until: DateOption = None,
    fonds: Annotated[str | None, typer.Option(help="Fonds code (phông).")] = None,
    profile: Annotated[str | None, typer.Option(help="Processing profile.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Backlog, throughput, quality and processing figures."""
    from station.cli import _print_json, _run
    from station.settings import StationSettings
    from station.stats.figures import StatsFilter, add_work_now, compute
    from station.store import Store

    def body(settings: StationSettings) -> None:
        chosen = StatsFilter(_date("--since", since), _date("--until", until), fonds, profile)
        store = Store.open(settings.database_url)
        figures = compute(store, chosen)
        add_work_now(figures, store, settings)
        if json_out:
            _print_json(figures)
        else:
            summary(figures, Console())

    _run(verbose, body)


def summary(figures: dict[str, Any], console: Console) -> None:
    """Fonds totals, operators, and failures, one table each."""
    backlog = Table(title=_("Backlog per fonds (phông)"))
    for name in (
        "fonds_code",
        "manifest_sheets",
        "scanned_sheets",
        "approved_folders",
        "exported_folders",
        "projected_completion",
    ):
        backlog.add_column(name)
    for row in figures["backlog"]:
        if row["box_no"] == "":
            backlog.add_row(*(str(row[c.header]) for c in backlog.columns))
    console.print(backlog)
    ops = Table(title=_("Operators"))
    for name in ("operator", "pages", "batches", "pages_per_hour"):
        ops.add_column(name)
    for row in figures["throughput"]["operator"]:
        ops.add_row(*(str(row[c.header]) for c in ops.columns))
    console.print(ops)
    reviewers = Table(title=_("Reviewers"))
    for name in ("reviewer", "decisions", "active_hours", "pages_per_hour"):
        reviewers.add_column(name)
    for row in figures["throughput"]["reviewer"]:
        reviewers.add_row(*(str(row.get(c.header)) for c in reviewers.columns))
    console.print(reviewers)
    q = figures["quality"]
    console.print(
        _(
            "Rejected pages: %(rejected)s, rescans: %(rescans)s, failed files: %(failed)s",
            rejected=sum(q["rejects"].values()),
            rescans=q["rescans"],
            failed=sum(q["failed_files"].values()),
        )
    )


def report_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the PDF/A and XLSX into.")],
    month: Annotated[str | None, typer.Option(help="A month, YYYY-MM.")] = None,
    year: Annotated[str | None, typer.Option(help="A year, YYYY.")] = None,
    fonds: Annotated[str | None, typer.Option(help="One fonds code (phông).")] = None,
    place: Annotated[str, typer.Option(help="Place for the date line (địa danh).")] = "",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """The periodic report (báo cáo thống kê công tác số hóa) as PDF/A and XLSX."""
    from station.cli import _run, console
    from station.stats.report import Period, build_report, file_name, write_pdfa, write_xlsx
    from station.store import Store

    def body(settings: Any) -> None:
        period = Period.parse(month, year, fonds)
        report = build_report(
            Store.open(settings.database_url),
            period,
            organization=settings.organization,
            place=place,
        )
        for suffix, write in ((".pdf", write_pdfa), (".xlsx", write_xlsx)):
            target = out / file_name(period, suffix)
            write(report, target)
            console.print(_("Wrote %(target)s", target=target))

    _run(verbose, body)
