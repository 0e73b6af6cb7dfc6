"""The `station` command line.

Every `StationError` becomes one clear sentence on stderr and its exit code, here and
nowhere else; tracebacks go to the log file (data/logs/station.log), shown with -v.
"""

from __future__ import annotations

import json
import logging
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table
from rich.text import Text

from station import __version__, i18n
from station.errors import BadArgumentError, ExitCode, NotFoundError, StationError
from station.i18n import _
from station.settings import StationSettings, load_settings
from station.stats.cli import report_command
from station.stats.cli import stats as stats_command

if TYPE_CHECKING:
    from station.room.runner import BatchOutcome
    from station.store import Folder, Store

# Each command imports what it needs when it runs: the pipeline (numpy, OpenCV, Tesseract),
# the store (SQLAlchemy) and the profiles cost most of a second that `station stats` or
# `station --help` would otherwise pay (tests/test_cli.py keeps it so).

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
        error = _("Error:")
        console.print(f"[bold red]{error}[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        console.print(
            "[yellow]"
            + _("Interrupted.")
            + "[/] "
            + _("Pages finished so far are recorded; run again to redo.")
        )
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        log.exception("Internal error")
        console.print(
            "[bold red]" + _("Internal error:") + f"[/] {type(exc).__name__}: {exc}",
            highlight=False,
        )
        console.print(
            _("This is a bug in station. The log has the details.")
            if verbose
            else _(
                "This is a bug in station. The log has the details (run again with -v to see them)."
            )
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
        i18n.activate(settings.language)
        setup_logging(settings, verbose)
        return body(settings)
    raise AssertionError("unreachable")  # pragma: no cover


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
    operator: Annotated[
        str | None,
        typer.Option(help="Who fed the batch (their user name): they may not review it."),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Process every image of a batch folder into OUT/<batch>.pdf (PDF/A) and OUT/report.json."""
    from station.profiles import load_profile
    from station.room.console import RichBatchProgress, print_summary
    from station.room.runner import process_batch

    def body(settings: StationSettings) -> BatchOutcome:
        scan_profile = load_profile(profile or settings.default_profile, settings.profiles_dir)
        with RichBatchProgress(batch_dir.name) as progress:
            outcome = process_batch(
                batch_dir,
                out_dir,
                scan_profile,
                settings,
                workers=jobs,
                progress=progress,
                operator=unicodedata.normalize("NFC", operator.strip()) if operator else None,
            )
        print_summary(outcome)
        return outcome

    outcome = _run(verbose, body)
    if outcome.failed or outcome.refused:
        raise typer.Exit(int(ExitCode.PAGES_FAILED))


@app.command("profiles")
def show_profiles(verbose: Verbose = False) -> None:
    """List the scanning profiles and check that each one is valid."""
    from station.profiles import list_profiles, load_profile

    def body(settings: StationSettings) -> None:
        table = Table(_("profile"), _("description"), _("min dpi"), _("image"), "OCR", "PDF/A")
        for name in list_profiles(settings.profiles_dir):
            p = load_profile(name, settings.profiles_dir)
            table.add_row(
                name + (" " + _("(default)") if name == settings.default_profile else ""),
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
    from station.profiles import load_profile
    from station.store import Store

    def body(settings: StationSettings) -> None:
        profile = load_profile(settings.default_profile, settings.profiles_dir)
        versions = tools.check_required_tools(profile.ocr.languages)
        Store.open(settings.database_url)
        out.print(
            _(
                "station %(version)s: tesseract %(tesseract)s (OCR engine %(engine)s), "
                "languages %(languages)s, database %(database)s: ready",
                version=__version__,
                tesseract=versions["tesseract"],
                engine=versions["ocr_engine"],
                languages=" ".join(sorted(tools.installed_languages())),
                database=settings.database_url,
            )
        )

    _run(verbose, body)


# --- the scanning room: manifests, separator sheets, records ------------------------------

manifest_app = typer.Typer(
    help="Box and folder manifests: the inventory of folders (hồ sơ) to scan.",
    no_args_is_help=True,
)
app.add_typer(manifest_app, name="manifest")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _store(settings: StationSettings) -> Store:
    from station.store import Store

    return Store.open(settings.database_url)


@manifest_app.command("import")
def manifest_import(
    file: Annotated[Path, typer.Argument(help="Manifest: CSV (UTF-8) or XLSX, one row a folder.")],
    verbose: Verbose = False,
) -> None:
    """Check a manifest and import it; with any problem, all are listed and nothing is stored."""
    from station import manifest

    def body(settings: StationSettings) -> None:
        folders = manifest.read_manifest(file)
        summary = _store(settings).import_folders(folders, file)
        out.print(
            _(
                "Imported %(n)s folders from %(file)s: %(added)s new, %(changed)s changed, "
                "%(unchanged)s unchanged.",
                n=len(folders),
                file=file.name,
                added=len(summary.added),
                changed=len(summary.changed),
                unchanged=len(summary.unchanged),
            )
        )
        for folder_id, changes in summary.changed.items():
            listed = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in changes.items())
            out.print(f"  {folder_id}: {listed}", highlight=False)

    _run(verbose, body)


@manifest_app.command("template")
def manifest_template(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="FILE.xlsx or FILE.csv")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    verbose: Verbose = False,
) -> None:
    """Write an empty manifest with the column headers explained in Vietnamese and English."""
    from station import manifest

    def body(settings: StationSettings) -> None:
        written = manifest.write_template(out_file, overwrite=force)
        out.print(_("Wrote the manifest template %(path)s", path=written))

    _run(verbose, body)


@app.command("separators")
def print_separators(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="PDF to print, one A4 sheet each.")],
    box: Annotated[str | None, typer.Option(help="Only the folders of this box.")] = None,
    folder: Annotated[str | None, typer.Option(help="Only this folder id.")] = None,
    verbose: Verbose = False,
) -> None:
    """Print separator sheets: one per manifest folder, to put in front of it when scanning."""
    from station.pipeline import separators

    def body(settings: StationSettings) -> None:
        store = _store(settings)
        if folder is not None:
            found = store.get_folder(folder)
            if found is None or not found.in_manifest:
                raise BadArgumentError(_("Folder %(folder)r is not in the manifest", folder=folder))
            chosen = [found]
        else:
            chosen = [f for f in store.list_folders(box) if f.in_manifest]
        if not chosen:
            raise BadArgumentError(
                _(
                    "No manifest folders in box %(box)s: import a manifest first "
                    "(station manifest import)",
                    box=box,
                )
                if box
                else _("No manifest folders: import a manifest first (station manifest import)")
            )
        labels = [
            separators.SeparatorLabel(
                folder_id=f.folder_id,
                box_no=f.box_no,
                folder_no=f.folder_no,
                title=f.title,
                fonds_code=f.fonds_code,
            )
            for f in chosen
        ]
        separators.write_separator_sheets(labels, out_file)
        out.print(_("Wrote %(n)s separator sheet(s) to %(path)s", n=len(labels), path=out_file))

    _run(verbose, body)


@app.command("pages")
def show_pages(
    json_output: JsonOption = False,
    batch: Annotated[str | None, typer.Option(help="Only this batch (its folder name).")] = None,
    folder: Annotated[str | None, typer.Option(help="Only this folder id.")] = None,
    verbose: Verbose = False,
) -> None:
    """The page records: report.json's keys plus batch, folder_id, state and separator."""
    from station.room import runner

    def body(settings: StationSettings) -> None:
        store = _store(settings)
        records = runner.records_of(store.list_pages(batch_name=batch, folder_id=folder), store)
        if json_output:
            _print_json(records)
            return
        table = Table(_("batch"), _("file"), _("page"), _("folder"), _("state"), _("flags"))
        for r in records:
            table.add_row(
                r["batch"],
                r["source_file"],
                str(r["page_index"] + 1),
                r["folder_id"] or "",
                r["state"] if not r["separator"] else _("separator") + f" → {r['separator']}",
                ", ".join(r["flags"]),
            )
        out.print(table)

    _run(verbose, body)


@app.command()
def watch(
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", help="Watch only this profile's hot folder (repeatable)."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: STATION_WORKERS).")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Watch the hot folders and process each batch once it is complete, until stopped.

    Ctrl-C or SIGTERM finish the pages in hand and exit; what is left resumes at the next start.
    """
    from station.room.console import RichBatchProgress, print_summary
    from station.watch import WatchService

    def body(settings: StationSettings) -> None:
        service = WatchService(
            settings,
            workers=jobs,
            progress_for=RichBatchProgress,
            on_outcome=print_summary,
        )
        out.print(
            _(
                "Watching %(folder)s (%(mode)s mode); documents go to %(out)s. Ctrl-C to stop.",
                folder=settings.hotfolders.resolve(),
                mode=settings.watch_mode,
                out=settings.output_dir.resolve(),
            )
        )
        service.run(profile)
        out.print(
            _("Stopped. Pages in hand were finished; anything left resumes at the next start.")
        )

    _run(verbose, body)


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Worker processes (default: STATION_WORKERS)."),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to take jobs from: pages, batches, upkeep."),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Run page jobs from the shared PostgreSQL queue on this machine, until stopped.

    Needs STATION_DATABASE_URL=postgresql+psycopg://… and the data directory shared with the
    other machines. Ctrl-C or SIGTERM let running pages finish, then exit.
    """
    from station.distributed.workers import run_workers

    def body(settings: StationSettings) -> None:
        count = concurrency or settings.workers
        names = tuple(q.strip() for q in (queues or "").split(",") if q.strip())
        out.print(
            _(
                "Running %(n)s worker process(es) on %(queues)s.",
                n=count,
                queues=", ".join(names) or _("every queue"),
            )
        )
        run_workers(settings, concurrency=count, queues=names)
        out.print(_("Stopped."))

    _run(verbose, body)


@app.command()
def status(json_output: JsonOption = False, verbose: Verbose = False) -> None:
    """Per profile and batch: pages waiting, processing, done, failed and flagged."""
    from station import hotfolder
    from station.profiles import list_profiles

    def body(settings: StationSettings) -> None:
        rows: dict[int, dict[str, Any]] = {}
        for batch, state, count, flagged in _store(settings).pages_by_state():
            assert batch.id is not None
            row = rows.setdefault(
                batch.id,
                {
                    "profile": batch.profile,
                    "batch": batch.name,
                    "batch_id": batch.id,
                    "state": batch.state,
                    "origin": batch.origin,
                    "waiting": 0,
                    "processing": 0,
                    "done": 0,
                    "failed": 0,
                    "flagged": 0,
                },
            )
            key = {"queued": "waiting", "ok": "done"}.get(state, state)
            row[key] = row.get(key, 0) + count
            row["flagged"] += flagged
        profiles = list_profiles(settings.profiles_dir)
        in_hot_folders: list[dict[str, Any]] = [
            {"profile": name, "batch": path.name, "files": _count_files(path)}
            for name, path in hotfolder.iter_candidate_batches(settings.hotfolders, profiles)
        ]
        loose = [str(p) for p in hotfolder.check_loose_files(settings.hotfolders, profiles)]
        # Imported here: Procrastinate costs 0.4 s at start-up that other commands skip.
        from station.distributed.status import describe as describe_work
        from station.distributed.status import work_status as status_of_work

        work = status_of_work(_store(settings), settings)
        if json_output:
            _print_json(
                {"batches": list(rows.values()), "hot_folders": in_hot_folders, "loose": loose}
                | work
            )
            return
        table = Table(
            _("profile"), _("batch"), _("state"), _("waiting"), _("processing"), _("done"),
            _("failed"), _("flagged"), title=_("Batches"), title_justify="left",
        )  # fmt: skip
        for r in rows.values():
            table.add_row(
                r["profile"], r["batch"], r["state"], str(r["waiting"]), str(r["processing"]),
                str(r["done"]), f"[red]{r['failed']}[/]" if r["failed"] else "0",
                f"[yellow]{r['flagged']}[/]" if r["flagged"] else "0",
            )  # fmt: skip
        out.print(table)
        for line in describe_work(work):
            out.print(line)
        if in_hot_folders:
            waiting = Table(
                _("profile"), _("batch"), _("files"),
                title=_("In the hot folders, not yet taken in"),
            )  # fmt: skip
            for h in in_hot_folders:
                waiting.add_row(h["profile"], h["batch"], str(h["files"]))
            out.print(waiting)
        for path in loose:
            what = (
                _("Link (refused, not read) outside a batch folder:")
                if Path(path).is_symlink()
                else _("Loose file outside a batch folder:")
            )
            out.print(f"[yellow]{what}[/] {path}", highlight=False)

    _run(verbose, body)


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


users_app = typer.Typer(help="Users of the review app: roles and secrecy clearance.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Log-in name.")],
    role: Annotated[str, typer.Option(help="operator, reviewer, archivist or admin.")],
    clearance: Annotated[
        str, typer.Option(help="Highest secrecy level the user may see: Mật, Tối mật, Tuyệt mật.")
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    language: Annotated[
        str, typer.Option(help="Interface language: en, vi, or empty to follow the browser.")
    ] = "",
    verbose: Verbose = False,
) -> None:
    """Add a user; the password is asked for (twice), or read from standard input."""
    from station import auth

    def body(settings: StationSettings) -> None:
        checked_role = auth.check_role(role)
        level = auth.check_clearance(clearance)
        chosen = _check_language(language)
        username = unicodedata.normalize("NFC", name.strip())
        if not username or any(c.isspace() for c in username):
            raise BadArgumentError(
                _("%(name)r cannot be a user name: no spaces, not empty", name=name)
            )
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        password_hash = auth.hash_password(password)
        store = _store(settings)
        store.add_user(username, role=checked_role, clearance=level, password_hash=password_hash)
        if chosen:
            store.set_user_language(username, chosen)
        role_name = _(auth.ROLE_NAMES[checked_role])
        out.print(
            _("Added %(name)s (%(role)s, clearance %(level)s)", name=username, role=role_name,
              level=level)
            if level
            else _("Added %(name)s (%(role)s, no secrecy clearance)", name=username,
                   role=role_name)
        )  # fmt: skip

    _run(verbose, body)


@users_app.command("list")
def users_list(json_output: JsonOption = False, verbose: Verbose = False) -> None:
    """The users, their roles, clearance and whether they may log in."""

    def body(settings: StationSettings) -> None:
        users: list[dict[str, Any]] = [
            {
                "username": u.username,
                "role": u.role,
                "clearance": u.clearance,
                "disabled": u.disabled,
                "created_at": u.created_at.isoformat(timespec="seconds"),
            }
            for u in _store(settings).list_users()
        ]
        if json_output:
            _print_json(users)
            return
        table = Table(_("user"), _("role"), _("clearance"), _("state"), _("created"))
        for u in users:
            table.add_row(
                u["username"],
                u["role"],
                u["clearance"] or "-",
                "[red]" + _("disabled") + "[/]" if u["disabled"] else _("active"),
                u["created_at"],
            )
        out.print(table)

    _run(verbose, body)


def _check_language(language: str) -> str:
    if language and language not in i18n.LANGUAGES:
        raise BadArgumentError(
            _("No such language %(language)r: choose one of %(choices)s",
              language=language, choices=", ".join(i18n.LANGUAGES))
        )  # fmt: skip
    return language


@users_app.command("language")
def users_language(
    name: Annotated[str, typer.Argument(help="Log-in name.")],
    language: Annotated[
        str, typer.Argument(help="en, vi, or an empty string to follow the browser.")
    ],
    verbose: Verbose = False,
) -> None:
    """Set the language the review app speaks to a user (they can change it on /account)."""

    def body(settings: StationSettings) -> None:
        chosen = _check_language(language)
        _store(settings).set_user_language(unicodedata.normalize("NFC", name.strip()), chosen)
        out.print(
            _("%(name)s: %(language)s", name=name, language=i18n.NAMES[chosen])
            if chosen
            else _("%(name)s: the browser's language", name=name)
        )

    _run(verbose, body)


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="Log-in name.")], verbose: Verbose = False
) -> None:
    """Stop a user from logging in; their history stays."""

    def body(settings: StationSettings) -> None:
        _store(settings).set_user_disabled(unicodedata.normalize("NFC", name.strip()), True)
        out.print(_("Disabled %(name)s", name=name))

    _run(verbose, body)


review_app = typer.Typer(help="Review from the command line, for archivists working in bulk.")
app.add_typer(review_app, name="review")


@review_app.command("confirm-documents")
def review_confirm_documents(
    folder_id: Annotated[str, typer.Argument(help="The archival folder id (mã hồ sơ).")],
    as_user: Annotated[str, typer.Option("--as", help="The reviewer confirming (user name).")],
    verbose: Verbose = False,
) -> None:
    """Confirm every document (văn bản) of a folder as read, for work in bulk; recorded."""
    from station.review import documents as document_review

    def body(settings: StationSettings) -> None:
        store = _store(settings)
        user = store.get_user(unicodedata.normalize("NFC", as_user.strip()))
        if user is None:
            raise NotFoundError(_("No user named %(as_user)r", as_user=as_user))
        done = document_review.confirm_all(
            store, user, folder_id, profiles_dir=settings.profiles_dir
        )
        out.print(
            _(
                "Confirmed %(n)s document(s) of %(folder)s as %(user)s",
                n=len(done),
                folder=folder_id,
                user=user.username,
            )
        )

    _run(verbose, body)


@review_app.command("approve")
def review_approve(
    folder_id: Annotated[str, typer.Argument(help="The archival folder id (mã hồ sơ).")],
    as_user: Annotated[str, typer.Option("--as", help="The archivist approving (user name).")],
    verbose: Verbose = False,
) -> None:
    """Approve every undecided page of a folder, then the folder: all or nothing.

    Recorded like an approval in the web app; refused without the archivist role, the
    clearance for the folder, when the user fed one of its batches, or while pages are
    rejected or failed.
    """
    from station.review import rules

    def body(settings: StationSettings) -> None:
        store = _store(settings)
        user = store.get_user(unicodedata.normalize("NFC", as_user.strip()))
        if user is None:
            raise NotFoundError(_("No user named %(as_user)r", as_user=as_user))
        folder, pages = rules.approve_all(
            store, user, folder_id, profiles_dir=settings.profiles_dir
        )
        out.print(
            _(
                "Approved folder %(folder)s as %(user)s: %(pages)s page(s) approved now, "
                "%(approved)s approved in all, %(blank)s blank",
                folder=folder.folder_id,
                user=user.username,
                pages=pages,
                approved=(folder.review_counts or {}).get("approve", 0),
                blank=(folder.review_counts or {}).get("blank", 0),
            )
        )

    _run(verbose, body)


rescan_app = typer.Typer(help="Pages rejected in review, waiting to be scanned again.")
app.add_typer(rescan_app, name="rescan")


@rescan_app.command("list")
def rescan_list(json_output: JsonOption = False, verbose: Verbose = False) -> None:
    """Rejected pages waiting for a rescan, folder by folder, with why."""
    from station.review import rules

    def body(settings: StationSettings) -> None:
        entries = _store(settings).rescan_list()
        records: list[dict[str, Any]] = [
            {
                "page_id": page.id,
                "folder_id": page.folder_id,
                "box_no": folder.box_no if folder else "",
                "position": page.position,
                "reason": page.reason,
                "rejected_by": page.decided_by,
                "rejected_at": page.decided_at.isoformat() if page.decided_at else None,
                "batch": batch,
                "source_file": page.source_file,
                "secrecy": rules.page_secrecy(page, folder),
            }
            for page, folder, batch in entries
        ]
        if json_output:
            _print_json(records)
            return
        if not records:
            out.print(_("No pages wait for a rescan."))
            return
        table = Table(title=_("%(n)s page(s) to scan again", n=len(records)))
        for column in (
            _("Page"), _("Hộp (box)"), _("Hồ sơ (folder)"), _("Position"), _("Reason"), _("File"),
            _("Độ mật (secrecy)"),
        ):  # fmt: skip
            table.add_column(column)
        for r in records:
            cells = ("page_id", "box_no", "folder_id", "position", "reason", "source_file")
            table.add_row(*(str(r[key] or "") for key in cells), r["secrecy"])
        out.print(table)
        out.print(_("Print slips with `station rescan slips --out slips.pdf`."))

    _run(verbose, body)


@rescan_app.command("slips")
def rescan_slips(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The PDF to write.")],
    folder: Annotated[
        str | None, typer.Option(help="Only this folder's pages (archival folder id).")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Print a rescan slip per rejected page: put it in front of the new scan of the page."""
    from station.pipeline import separators
    from station.review import rules

    def body(settings: StationSettings) -> None:
        entries = [
            rules.RescanEntry(page, found, batch)
            for page, found, batch in _store(settings).rescan_list()
            if folder is None or page.folder_id == unicodedata.normalize("NFC", folder)
        ]
        if not entries and folder is not None:
            raise BadArgumentError(
                _("No rejected pages wait for a rescan in folder %(folder)r", folder=folder)
            )
        written = separators.write_rescan_slips([rules.rescan_label(e) for e in entries], out_path)
        out.print(_("Wrote %(n)s rescan slip(s) to %(path)s", n=len(entries), path=written))

    _run(verbose, body)


export_app = typer.Typer(
    help="Approved folders out as archival packages and catalogue imports.",
    invoke_without_command=True,
)
app.add_typer(export_app, name="export")


@export_app.callback()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="bagit, archivematica or atom-csv."),
    ] = None,
    folder: Annotated[
        list[str] | None,
        typer.Option("--folder", help="An approved folder's archival id (repeatable)."),
    ] = None,
    approved: Annotated[
        bool, typer.Option("--approved", help="Every approved folder you may see.")
    ] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Where packages go.")] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="The archivist exporting (user name).")
    ] = None,
    zipped: Annotated[
        bool, typer.Option("--zip", help="archivematica: a zipped bag instead of a folder.")
    ] = False,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign", help="Sign every PDF/A with the configured signer (PAdES, seal on page 1)."
        ),
    ] = False,
    json_output: JsonOption = False,
    verbose: Verbose = False,
) -> None:
    """Export approved folders: `station export --format bagit --approved --out DIR --as NAME`.

    Only approved folders export; classified ones only for a user cleared for them. An
    unchanged folder exported again is found as it was; a changed one gets a new version.
    """
    if ctx.invoked_subcommand is not None:
        return
    from station.export import packages as exporting

    def body(settings: StationSettings) -> None:
        if fmt is None or out_dir is None or as_user is None:
            raise BadArgumentError(
                _(
                    "Give --format, --out and --as (and --folder ID... or --approved); `station "
                    "export verify DIR` checks a package"
                )
            )
        if bool(folder) == approved:
            raise BadArgumentError(
                _("Name the folders with --folder, or give --approved (not both)")
            )
        store = _store(settings)
        user = store.get_user(unicodedata.normalize("NFC", as_user.strip()))
        if user is None:
            raise NotFoundError(_("No user named %(as_user)r", as_user=as_user))
        folder_ids = folder or exporting.approved_folder_ids(store, user)
        if not folder_ids:
            raise BadArgumentError(_("No approved folder to export"))
        with console.status(_("Exporting")) as status:
            results = exporting.export_folders(
                store,
                settings,
                user,
                folder_ids,
                fmt,
                out_dir,
                zipped=zipped,
                sign=sign,
                progress=lambda message: status.update(_("Exporting %(what)s", what=message)),
            )
        if json_output:
            _print_json([exporting.result_record(r) for r in results])
            return
        for result in results:
            state = _("unchanged, already there") if result.unchanged else _("written")
            out.print(
                _(
                    "%(folders)s: %(format)s v%(version)s %(state)s: %(path)s (%(pages)s pages, "
                    "%(mb)s MB)",
                    folders=", ".join(result.folder_ids),
                    format=result.format,
                    version=result.version,
                    state=state,
                    path=result.path,
                    pages=result.pages,
                    mb=f"{result.bytes / 1e6:.1f}",
                )
            )

    _run(verbose, body)


@export_app.command("verify")
def export_verify(
    path: Annotated[Path, typer.Argument(help="A bag, zipped bag, transfer or AtoM import.")],
    verbose: Verbose = False,
) -> None:
    """Check an exported package: fixity and completeness of bags, METS against its schemas,
    transfer checksums and metadata.csv paths, the AtoM CSV's header and hierarchy, and every
    PDF/A's signatures (against STATION_SIGNING_TRUST_ROOTS; required with signing_required)."""
    from station.export import packages as exporting

    def body(settings: StationSettings) -> list[str]:
        return exporting.verify(path, settings)

    problems = _run(verbose, body)
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        summary = _("%(path)s: %(n)s problem(s)", path=path, n=len(problems))
        console.print(f"[bold red]{summary}[/]")
        raise typer.Exit(int(ExitCode.OUTPUT_ERROR))
    out.print(_("%(path)s: valid", path=path))


signing_app = typer.Typer(help="The digitizing body's signature on exported PDF/As.")
app.add_typer(signing_app, name="signing")


@signing_app.command("check")
def signing_check(json_output: JsonOption = False, verbose: Verbose = False) -> None:
    """Open the configured signer, sign a test page with the seal and verify it: whether the
    key, the certificate chain and the seal work, and when the certificate expires."""
    from station.export import signing

    result = _run(verbose, signing.check)
    facts = result.facts
    if json_output:
        _print_json(
            {
                "signer": facts.kind,
                "subject": facts.subject,
                "issuer": facts.issuer,
                "serial": facts.serial,
                "expires": facts.not_after.isoformat(),
                "seal_mm": [round(v, 1) for v in facts.seal_mm],
                "level": facts.level,
                "problems": result.problems,
                "warnings": result.warnings,
            }
        )
    else:
        for line in (
            _("Signer: %(kind)s", kind=facts.kind),
            _("Certificate: %(subject)s (serial %(serial)s)", subject=facts.subject,
              serial=facts.serial),
            _("Issued by: %(issuer)s", issuer=facts.issuer),
            _("Expires: %(when)s UTC", when=f"{facts.not_after:%Y-%m-%d %H:%M}"),
            _("Seal: %(width)s x %(height)s mm", width=f"{facts.seal_mm[0]:.1f}",
              height=f"{facts.seal_mm[1]:.1f}"),
            _("Signatures: PAdES %(level)s", level=facts.level),
        ):  # fmt: skip
            out.print(line, highlight=False)
        for warning in result.warnings:
            console.print(f"[yellow]![/] {warning}", highlight=False, soft_wrap=True)
        for problem in result.problems:
            console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    if result.problems:
        raise typer.Exit(int(ExitCode.BAD_CONFIG))
    if not json_output:
        out.print(_("The signer works: a test page was signed and verified."))


def folder_record(folder: Folder) -> dict[str, Any]:
    """One folder for `station folders`: its manifest fields and what scanning found."""
    from station import manifest
    from station.review import rules

    fields = rules.folder_fields(folder)
    return {
        **fields,
        "start_date": folder.start_date.isoformat() if folder.start_date else None,
        "end_date": folder.end_date.isoformat() if folder.end_date else None,
        "retention": manifest.retention_label(folder.retention_years),
        "in_manifest": folder.in_manifest,
        "id": folder.id,
        "review_state": folder.review_state,
        "review_counts": folder.review_counts or {},
        "approved_by": folder.approved_by,
        "pages_found": folder.pages_found,
        "sheets_counted": folder.sheets_counted,
        "state": folder.state,
        "flags": folder.flags,
        "pdf": folder.pdf_path,
    }


@app.command("folders")
def show_folders(
    json_output: JsonOption = False,
    box: Annotated[str | None, typer.Option(help="Only the folders of this box.")] = None,
    verbose: Verbose = False,
) -> None:
    """Each folder: manifest fields, pages found, sheets counted, state and flags."""
    from station.room.console import folder_flag_text

    def body(settings: StationSettings) -> None:
        records = [folder_record(f) for f in _store(settings).list_folders(box)]
        if json_output:
            _print_json(records)
            return
        table = Table(
            "hộp", "hồ sơ", "mã hồ sơ", "tiêu đề", "tờ", _("found"), _("state"), _("flags")
        )
        for r in records:
            table.add_row(
                r["box_no"],
                r["folder_no"],
                r["folder_id"],
                r["title"][:48],
                str(r["sheet_count"] or ""),
                str(r["sheets_counted"]),
                r["state"],
                ", ".join(folder_flag_text(f) for f in r["flags"]),
            )
        out.print(table)

    _run(verbose, body)


@app.command("documents")
def show_documents(
    json_output: JsonOption = False,
    folder: Annotated[str | None, typer.Option(help="Only this folder id.")] = None,
    verbose: Verbose = False,
) -> None:
    """Each document (văn bản) found in the folders: archival code, fields, confidence, flags."""

    def body(settings: StationSettings) -> None:
        from station.room import folder_documents

        store = _store(settings)
        folder_ids = [folder] if folder else [f.folder_id for f in store.list_folders()]
        records = folder_documents.documents_json(store, folder_ids)
        if json_output:
            _print_json(records)
            return
        table = Table("mã", "tên loại", "số, ký hiệu", "ngày", "trích yếu", "trang", _("flags"))
        for r in records:
            table.add_row(
                r["archival_code"],
                r["document_type"] or "",
                r["number_symbol"] or "",
                r["issued_date"] or "",
                (r["summary"] or "")[:48],
                str(r["page_count"] or len(r["pages"])),
                ", ".join([*r["flags"], *([r["secrecy"]] if r["secrecy"] else [])]),
            )
        out.print(table)

    _run(verbose, body)


@app.command("search")
def search(
    query: Annotated[
        str | None, typer.Argument(help='Words, "a phrase", an id or a number.')
    ] = None,
    json_output: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many results.")] = 20,
    fonds: Annotated[str | None, typer.Option(help="Only this fonds (phông).")] = None,
    box: Annotated[str | None, typer.Option(help="Only this box (hộp).")] = None,
    document_type: Annotated[
        str | None, typer.Option("--type", help="Only this document type (tên loại).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    clearance: Annotated[
        str,
        typer.Option(
            help="Search as a user cleared to this level (none, Mật, Tối mật, Tuyệt mật); "
            "the command on the station's own machine sees everything by default."
        ),
    ] = "Tuyệt mật",
    reindex: Annotated[
        bool, typer.Option("--reindex", help="Rebuild the search index from the records.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Search folders (hồ sơ), documents (văn bản) and the OCR text of every page."""
    from station.stats.cli import _date

    def body(settings: StationSettings) -> None:
        from station.search import SearchRequest

        store = _store(settings)
        if reindex:
            out.print(_("Indexed %(n)s folders, documents and pages.", n=store.reindex_search()))
            if not query:
                return
        if not query:
            raise BadArgumentError(_("Give a query, or --reindex"))
        results = store.search(
            SearchRequest(
                unicodedata.normalize("NFC", query),
                clearance="" if clearance.lower() == "none" else clearance,
                fonds=fonds,
                box=box,
                document_type=document_type,
                date_from=_date("--from", date_from),
                date_to=_date("--to", date_to),
                limit=limit,
            )
        )
        if json_output:
            _print_json(results.to_json())
            return
        table = Table(
            _("kind"), "hồ sơ", "mã", _("page"), _("title"), _("snippet"),
            title=_("%(n)s found", n=results.total_text),
        )  # fmt: skip
        for hit in results.hits:
            table.add_row(
                hit.kind, hit.folder_id, hit.document or "", str(hit.page_id or ""),
                hit.title[:40], Text.from_markup(_marked(hit.snippet)),
            )  # fmt: skip
        out.print(table)

    _run(verbose, body)


def _marked(snippet: str) -> str:
    """A snippet's <mark> as bold, the rest as text (escaped for Rich's markup)."""
    import html

    from rich.markup import escape

    parts = snippet.replace("</mark>", "<mark>").split("<mark>")
    return "".join(
        f"[bold yellow]{escape(html.unescape(p))}[/]" if i % 2 else escape(html.unescape(p))
        for i, p in enumerate(parts)
    )


@app.callback(invoke_without_command=True)
def _version(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"station {__version__}")
        raise typer.Exit()


def _load_plugins() -> None:
    """Commands other packages add (the review app adds `station serve`), by entry point, so
    station itself never imports them."""
    from importlib.metadata import entry_points

    for plugin in entry_points(group="station.commands"):
        plugin.load()(app)


app.command("stats")(stats_command)
app.command("report")(report_command)


def main(argv: list[str] | None = None) -> Any:
    _load_plugins()
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="station")
