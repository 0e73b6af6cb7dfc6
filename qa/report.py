"""The periodic report for download: `/stats/report.pdf` (PDF/A) and `/stats/report.xlsx`.

The same report as `station report` (station.stats.report), for a month (`?month=2026-11`)
or a year (`?year=2026`), optionally one fonds (`&fonds=CODE`). Archivists and admins only:
it names every fonds and every cause, which operators and reviewers do not see on /stats.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from qa.security import CurrentUser, settings_of, store_of
from station.i18n import N_
from station.review import rules
from station.stats.report import Period, Report, build_report, file_name, write_pdfa, write_xlsx

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]

MEDIA = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(
    request: Request,
    user: CurrentUser,
    suffix: str,
    write: Callable[[Report, Path], None],
    month: str,
    year: str,
    fonds: str,
) -> Response:
    rules.require_role(user, "archivist", N_("the periodic report"))
    period = Period.parse(month, year, fonds)
    report = build_report(store_of(request), period, organization=settings_of(request).organization)
    name = file_name(period, suffix)
    with tempfile.TemporaryDirectory(prefix="station-report-") as tmp:
        path = Path(tmp) / name
        write(report, path)
        body = path.read_bytes()
    return Response(
        body,
        media_type=MEDIA[suffix],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/stats/report.pdf")
def report_pdf(
    request: Request, user: CurrentUser, month: Text = "", year: Text = "", fonds: Text = ""
) -> Response:
    """The report as PDF/A-2b, to print and sign."""
    return _download(request, user, ".pdf", write_pdfa, month, year, fonds)


@router.get("/stats/report.xlsx")
def report_xlsx(
    request: Request, user: CurrentUser, month: Text = "", year: Text = "", fonds: Text = ""
) -> Response:
    """The report's tables, one sheet per section."""
    return _download(request, user, ".xlsx", write_xlsx, month, year, fonds)
