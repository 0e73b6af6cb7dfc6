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

from station.pipeline import PageResult
from station.room.runner import BatchOutcome, BatchProgress

console = Console(stderr=True)
out = Console()


class PagesPerMinuteColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("– pages/min", style="progress.data.speed")
        return Text(f"{task.completed / elapsed * 60:.1f} pages/min", style="progress.data.speed")


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
        self.task = self.progress.add_task(f"Storing originals of {self.batch_name}", total=files)

    def stored(self, source: Path) -> None:
        assert self.task is not None
        self.progress.advance(self.task)

    def prepared(self, pages: int) -> None:
        if self.task is None:  # a resumed batch: nothing to take in first
            self.progress.start()
            self.task = self.progress.add_task("", total=pages)
        self.progress.reset(self.task, total=pages, description=f"Processing {self.batch_name}")

    def page_done(self, result: PageResult) -> None:
        assert self.task is not None
        if not result.ok:
            self.progress.console.print(
                f"[red]failed[/] {result.error}", highlight=False, soft_wrap=True
            )
        self.progress.advance(self.task)


def print_summary(outcome: BatchOutcome) -> None:
    pages = len(outcome.records) - len(outcome.refused)  # a refused link is not a page
    minutes = outcome.elapsed_s / 60
    table = Table(title=f"Batch {outcome.name}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Pages", str(pages))
    table.add_row("OK", f"[green]{len(outcome.ok)}[/]")
    table.add_row("Failed", f"[red]{len(outcome.failed)}[/]" if outcome.failed else "0")
    table.add_row(
        "Flagged for review", f"[yellow]{len(outcome.flagged)}[/]" if outcome.flagged else "0"
    )
    table.add_row("Blank (kept, marked)", str(sum(1 for r in outcome.ok if r["blank"])))
    table.add_row(
        "Time", f"{outcome.elapsed_s:.1f} s ({pages / minutes:.1f} pages/min)" if minutes else "-"
    )
    if outcome.separators:
        table.add_row("Separator sheets", str(len(outcome.separators)))
    if outcome.skipped:
        table.add_row("Already taken in (skipped)", str(len(outcome.skipped)))
    if outcome.refused:
        table.add_row("Refused, not read (links)", f"[red]{len(outcome.refused)}[/]")
    documents = [d for d in outcome.folder_pdfs if d.pdf_path]
    if not documents:
        table.add_row("PDF/A", "[red]none: no page succeeded[/]")
    for document in documents:
        label = f"PDF/A {document.folder_id}" if document.folder_id else "PDF/A"
        problems = ", ".join(folder_flag_text(f) for f in document.flags)
        table.add_row(
            label,
            f"{document.pdf_path} ({document.pages} pages)"
            + (f" [yellow]{problems}[/]" if problems else ""),
        )
    table.add_row("Report", str(outcome.report_path))
    out.print(table)
    flag_counts: dict[str, int] = {}
    for record in outcome.ok:
        for flag in record["flags"]:
            flag_counts[flag] = flag_counts.get(flag, 0) + 1
    if flag_counts:
        out.print("Flags: " + ", ".join(f"{k} {v}" for k, v in sorted(flag_counts.items())))
    for record in outcome.failed + outcome.refused:
        out.print(f"[red]✗[/] {record['error']}", highlight=False, soft_wrap=True)


def folder_flag_text(flag: dict[str, Any]) -> str:
    if flag.get("code") == "sheet_count_mismatch":
        return f"sheet count {flag['found']}, manifest says {flag['expected']}"
    return f"{flag.get('code')} ({flag.get('pages')} pages)" if "pages" in flag else str(flag)
