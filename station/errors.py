"""The domain's one exception hierarchy, and the exit codes and HTTP statuses it maps to.

Every error a user can meet is a `StationError`. Each class carries a stable machine
`code` (stored on failed pages, counted by the QA app), the CLI `exit_code` and the
`http_status`, so the CLI, the worker and the web app convert errors in one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes of the `station` command, documented in the README."""

    OK = 0
    PAGES_FAILED = 1  # the batch finished, but some files or pages could not be processed
    BAD_ARGS = 2  # a missing folder, an unknown profile, a bad option
    BAD_CONFIG = 3  # station.toml, STATION_* variables or a profile are invalid
    MISSING_DEPENDENCY = 4  # tesseract, a language pack or another tool is not installed
    OUTPUT_ERROR = 5  # the output could not be written or is not valid PDF/A
    REFUSED = 6  # a review action refused: no such thing, not allowed, or not possible now
    INTERNAL_ERROR = 10  # a bug: please report it with the log


class StationError(Exception):
    """Base of every error station reports to a user."""

    code = "error"
    exit_code = ExitCode.INTERNAL_ERROR
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadArgumentError(StationError):
    """The command line names something that does not exist or cannot be used."""

    code = "bad_argument"
    exit_code = ExitCode.BAD_ARGS
    http_status = 400


class BatchNotFoundError(BadArgumentError):
    """The batch folder given does not exist or is not a folder."""

    code = "batch_not_found"
    http_status = 404


class UnknownProfileError(BadArgumentError):
    """No profile file of that name exists."""

    code = "unknown_profile"
    http_status = 404


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong in a manifest file, located so the archivist can fix it."""

    row: int  # 1-based row number as a spreadsheet shows it (the header is row 1)
    column: str  # the header as written in the file, or "" for a whole-row problem
    value: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        shown = f" (value: {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"


class ManifestError(BadArgumentError):
    """A manifest file has problems; every one of them is listed, and nothing was imported."""

    code = "bad_manifest"
    http_status = 422

    def __init__(self, path: Path, problems: list[ManifestProblem]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path.name}: {len(problems)} problem(s), nothing was imported:\n{lines}")


class BatchNotReadyError(BadArgumentError):
    """A hot-folder batch is not complete yet, or its batch.done does not match its files."""

    code = "batch_not_ready"
    http_status = 409


class NotFoundError(StationError):
    """No such folder, page or user, or one the user's clearance does not reach.

    The two cases are one error on purpose: a classified folder must not be told apart
    from one that does not exist.
    """

    code = "not_found"
    exit_code = ExitCode.REFUSED
    http_status = 404


class NotLoggedInError(StationError):
    """The request carries no valid log-in session."""

    code = "not_logged_in"
    exit_code = ExitCode.REFUSED
    http_status = 401


class NotAllowedError(StationError):
    """The user's role does not allow this, or four eyes forbid it, or the CSRF token is bad."""

    code = "not_allowed"
    exit_code = ExitCode.REFUSED
    http_status = 403


class ConflictError(StationError):
    """The action does not fit the current state (a folder with undecided pages, say)."""

    code = "conflict"
    exit_code = ExitCode.REFUSED
    http_status = 409


class InvalidInputError(StationError):
    """A value sent to the review app or command is not acceptable (an unknown reason, say)."""

    code = "invalid_input"
    exit_code = ExitCode.BAD_ARGS
    http_status = 422


class ConfigError(StationError):
    """Settings or a scanning profile are invalid."""

    code = "bad_config"
    exit_code = ExitCode.BAD_CONFIG
    http_status = 500


class MissingToolError(StationError):
    """An external program or language pack that station needs is not installed."""

    code = "missing_tool"
    exit_code = ExitCode.MISSING_DEPENDENCY
    http_status = 503


class PageError(StationError):
    """One file or page cannot be processed; the rest of the batch goes on."""

    code = "page_failed"
    exit_code = ExitCode.PAGES_FAILED
    http_status = 422


class EmptyFileError(PageError):
    code = "empty_file"


class UnsupportedFormatError(PageError):
    code = "unsupported_format"


class UnreadableImageError(PageError):
    """The file claims to be an image but does not decode completely (truncated, corrupt)."""

    code = "unreadable_image"


class ToolFailedError(PageError):
    """An external program (tesseract, ghostscript) failed on this page."""

    code = "tool_failed"


class ToolTimeoutError(ToolFailedError):
    code = "tool_timeout"


class StorageError(StationError):
    """Master storage could not keep a verified copy of an original."""

    code = "storage_error"
    exit_code = ExitCode.OUTPUT_ERROR
    http_status = 500


class OutputError(StationError):
    """An output file (PDF/A, report) could not be written or failed validation."""

    code = "output_error"
    exit_code = ExitCode.OUTPUT_ERROR
    http_status = 500
