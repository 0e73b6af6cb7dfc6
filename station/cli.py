"""The `station` command line.

Every `StationError` becomes one clear sentence on stderr and its exit code, here and
nowhere else; tracebacks go to the log file (data/logs/station.log), shown with -v.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
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

from station import __version__
from station.errors import ExitCode, StationError
from station.pipeline import PageResult
from station.profiles import list_profiles, load_profile
from station.runner import BatchOutcome, BatchProgress, process_batch
from station.settings import StationSettings, load_settings

app = typer.Typer(
    help="station: scanning-station digitization pipeline (scans in, searchable PDF/A out).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()
log = logging.getLogger("station")

T = TypeVar("T")


@contextmanager
def handle_errors(verbose: bool) -> Iterator[None]:
    """The one place where errors become messages and exit codes."""
    try:
        yield
    except StationError as exc:
        log.debug("%s", exc, exc_info=True)
        console.print(f"[bold red]Error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        console.print(
            "[yellow]Interrupted.[/] Pages finished so far are recorded; run again to redo."
        )
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        log.exception("Internal error")
        console.print(f"[bold red]Internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
        console.print(
            "This is a bug in station. The log has the details"
            + ("." if verbose else " (run again with -v to see them).")
        )
        raise typer.Exit(int(ExitCode.INTERNAL_ERROR)) from None


def setup_logging(settings: StationSettings | None, verbose: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console_handler = RichHandler(console=console, show_path=False, rich_tracebacks=verbose)
    console_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.addHandler(console_handler)
    if settings is not None:
        log_dir = settings.data_dir / "logs"
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            file_handler = logging.FileHandler(log_dir / "station.log", encoding="utf-8")
        except OSError:
            return
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        root.addHandler(file_handler)
    for noisy in ("PIL", "pikepdf", "alembic", "pytesseract"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(verbose: bool, body: Callable[[StationSettings], T]) -> T:
    setup_logging(None, verbose)
    with handle_errors(verbose):
        settings = load_settings()
        setup_logging(settings, verbose)
        return body(settings)
    raise AssertionError("unreachable")  # pragma: no cover


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
        assert self.task is not None
        self.progress.reset(self.task, total=pages, description=f"Processing {self.batch_name}")

    def page_done(self, result: PageResult) -> None:
        assert self.task is not None
        if not result.ok:
            self.progress.console.print(
                f"[red]failed[/] {result.error}", highlight=False, soft_wrap=True
            )
        self.progress.advance(self.task)


Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show debug logging and tracebacks.")
]


@app.command()
def process(
    batch_dir: Annotated[Path, typer.Argument(help="Folder of scanned images (TIFF, PNG, JPEG).")],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where the PDF/A and report.json go.")
    ],
    profile: Annotated[
        str | None, typer.Option(help="Scanning profile (see `station profiles`).")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: STATION_WORKERS).")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Process every image of a batch folder into OUT/<batch>.pdf (PDF/A) and OUT/report.json."""

    def body(settings: StationSettings) -> BatchOutcome:
        scan_profile = load_profile(profile or settings.default_profile, settings.profiles_dir)
        with RichBatchProgress(batch_dir.name) as progress:
            outcome = process_batch(
                batch_dir, out_dir, scan_profile, settings, workers=jobs, progress=progress
            )
        print_summary(outcome)
        return outcome

    outcome = _run(verbose, body)
    if outcome.failed:
        raise typer.Exit(int(ExitCode.PAGES_FAILED))


def print_summary(outcome: BatchOutcome) -> None:
    pages = len(outcome.records)
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
    table.add_row(
        "PDF/A", str(outcome.pdf_path) if outcome.pdf_path else "[red]none: no page succeeded[/]"
    )
    table.add_row("Report", str(outcome.report_path))
    out.print(table)
    flag_counts: dict[str, int] = {}
    for record in outcome.ok:
        for flag in record["flags"]:
            flag_counts[flag] = flag_counts.get(flag, 0) + 1
    if flag_counts:
        out.print("Flags: " + ", ".join(f"{k} {v}" for k, v in sorted(flag_counts.items())))
    for record in outcome.failed:
        out.print(f"[red]✗[/] {record['error']}", highlight=False, soft_wrap=True)


@app.command("profiles")
def show_profiles(verbose: Verbose = False) -> None:
    """List the scanning profiles and check that each one is valid."""

    def body(settings: StationSettings) -> None:
        table = Table("profile", "description", "min dpi", "image", "OCR", "PDF/A")
        for name in list_profiles(settings.profiles_dir):
            p = load_profile(name, settings.profiles_dir)
            table.add_row(
                name + (" (default)" if name == settings.default_profile else ""),
                p.description,
                str(p.scan.min_dpi),
                f"{p.image.color}/{p.image.compression}",
                "+".join(p.ocr.languages),
                p.pdf.pdfa,
            )
        out.print(table)

    _run(verbose, body)


@app.command()
def check(verbose: Verbose = False) -> None:
    """Check that Tesseract, its language packs and the database are ready."""
    from station import tools
    from station.store import Store

    def body(settings: StationSettings) -> None:
        profile = load_profile(settings.default_profile, settings.profiles_dir)
        versions = tools.check_required_tools(profile.ocr.languages)
        Store.open(settings.database_url)
        out.print(
            f"station {__version__}: tesseract {versions['tesseract']}, "
            f"languages {' '.join(sorted(tools.installed_languages()))}, "
            f"database {settings.database_url}: ready"
        )

    _run(verbose, body)


@app.callback(invoke_without_command=True)
def _version(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"station {__version__}")
        raise typer.Exit()


def main(argv: list[str] | None = None) -> Any:
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="station")
