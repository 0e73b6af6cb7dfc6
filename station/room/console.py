"""The batch on a terminal: progress bars while it runs, a summary table when it is done.

Shared by `station process` and `station watch`; the runner reports through `BatchProgress`
and never prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from station.i18n import _
from station.pipeline import PageResult
from station.room.runner import BatchOutcome, BatchProgress

console = Console(stderr=True)
out = Console()


class PagesPerMinuteColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("– pages/min", style="progress.data.speed")
        rate = f"{task.completed / elapsed * 60:.1f}"
        return Text(_("%(rate)s pages/min", rate=rate), style="progress.data.speed")


class RichBatchProgress(BatchProgress):
    """Progress bars that appear once there is something to show (not before a bad-input error)."""

    def __init__(self, batch_name: str) -> None:
        self.batch_name = batch_name
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            PagesPerMinuteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> RichBatchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def discovered(self, files: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(
            _("Storing originals of %(batch)s", batch=self.batch_name), total=files
        )

    def stored(self, source: Path) -> None:
        assert self.task is not None
        self.progress.advance(self.task)

    def prepared(self, pages: int) -> None:
        if self.task is None:  # a resumed batch: nothing to take in first
            self.progress.start()
            self.task = self.progress.add_task("", total=pages)
        self.progress.reset(
            self.task, total=pages, description=_("Processing %(batch)s", batch=self.batch_name)
        )

    def page_done(self, result: PageResult) -> None:
        assert self.task is not None
        if not result.ok:
            self.progress.console.print(
                "[red]" + _("failed") + f"[/] {result.error}", highlight=False, soft_wrap=True
            )
        self.progress.advance(self.task)


def print_summary(outcome: BatchOutcome) -> None:
    pages = len(outcome.records) - len(outcome.refused)  # a refused link is not a page
    minutes = outcome.elapsed_s / 60
    table = Table(
        title=_("Batch %(name)s", name=outcome.name), show_header=False, title_justify="left"
    )
    table.add_column(style="bold")
    table.add_column()
    table.add_row(_("Pages"), str(pages))
    table.add_row("OK", f"[green]{len(outcome.ok)}[/]")
    table.add_row(_("Failed"), f"[red]{len(outcome.failed)}[/]" if outcome.failed else "0")
    table.add_row(
        _("Flagged for review"), f"[yellow]{len(outcome.flagged)}[/]" if outcome.flagged else "0"
    )
    table.add_row(_("Blank (kept, marked)"), str(sum(1 for r in outcome.ok if r["blank"])))
    table.add_row(
        _("Time"),
        _(
            "%(seconds)s s (%(rate)s pages/min)",
            seconds=f"{outcome.elapsed_s:.1f}",
            rate=f"{pages / minutes:.1f}",
        )
        if minutes
        else "-",
    )
    if outcome.separators:
        table.add_row(_("Separator sheets"), str(len(outcome.separators)))
    if outcome.skipped:
        table.add_row(_("Already taken in (skipped)"), str(len(outcome.skipped)))
    if outcome.refused:
        table.add_row(_("Refused, not read (links)"), f"[red]{len(outcome.refused)}[/]")
    documents = [d for d in outcome.folder_pdfs if d.pdf_path]
    if not documents:
        table.add_row("PDF/A", "[red]" + _("none: no page succeeded") + "[/]")
    for document in documents:
        label = f"PDF/A {document.folder_id}" if document.folder_id else "PDF/A"
        problems = ", ".join(folder_flag_text(f) for f in document.flags)
        table.add_row(
            label,
            _("%(path)s (%(pages)s pages)", path=document.pdf_path, pages=document.pages)
            + (f" [yellow]{problems}[/]" if problems else ""),
        )
    table.add_row(_("Report"), str(outcome.report_path))
    out.print(table)
    flag_counts: dict[str, int] = {}
    for record in outcome.ok:
        for flag in record["flags"]:
            flag_counts[flag] = flag_counts.get(flag, 0) + 1
    if flag_counts:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(flag_counts.items()))
        out.print(_("Flags: %(counts)s", counts=counts))
    for record in outcome.failed + outcome.refused:
        out.print(f"[red]✗[/] {record['error']}", highlight=False, soft_wrap=True)


def folder_flag_text(flag: dict[str, Any]) -> str:
    if flag.get("code") == "sheet_count_mismatch":
        return _(
            "sheet count %(found)s, manifest says %(expected)s",
            found=flag["found"],
            expected=flag["expected"],
        )
    if "pages" in flag:
        return _("%(code)s (%(pages)s pages)", code=flag.get("code"), pages=flag.get("pages"))
    return str(flag)
