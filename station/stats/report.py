"""The periodic report (issue 13): "Báo cáo thống kê công tác số hóa tài liệu".

A month's or a year's work, per fonds (phông): folders and pages digitized, folders approved
and exported, pages rejected and rescanned with their causes. `build_report` reads it from
the store into a `Report` of plain rows, the one source for both formats: `write_pdfa`
(a printable PDF/A-2b laid out like a Vietnamese administrative report, NĐ 30/2020) and
`write_xlsx` (one sheet per section, numbers as numbers).

The figures for a period come from small aggregate queries here, not from
station.stats.figures: those answer "how far along", these "what was done in the period"
(approved_at, an export version's date, a rescan's batch date).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from station.errors import BadArgumentError, OutputError
from station.i18n import _
from station.store import Batch, ExportVersion, Folder, Page, Store

PDFA_FLAVOUR = "2b"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core (scripts/setup)
FONTS = {
    "": "DejaVuSerif.ttf",
    "B": "DejaVuSerif-Bold.ttf",
    "I": "DejaVuSerif-Italic.ttf",
    "BI": "DejaVuSerif-BoldItalic.ttf",
}
TITLE = "Báo cáo thống kê công tác số hóa tài liệu"
NO_FOLDER = "Chưa xếp vào hồ sơ"  # pages not (yet) in a manifest folder
TOTAL = "Tổng cộng"
OTHER_REASON = "Lý do khác"
SIGNATURE_MM = 36  # the signer block: title, "(Ký, ghi rõ họ tên)", room to sign


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- the period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month (month set) or year, and optionally one fonds."""

    year: int
    month: int | None = None
    fonds: str | None = None

    @classmethod
    def parse(cls, month: str | None, year: str | None, fonds: str | None = None) -> Period:
        """From `--month 2026-11` or `--year 2026` (exactly one), as people type them."""
        month, year = (month or "").strip(), (year or "").strip()
        fonds = nfc(fonds.strip()) if fonds and fonds.strip() else None
        if bool(month) == bool(year):
            raise BadArgumentError(
                _("Give a month (YYYY-MM) or a year (YYYY), exactly one of them")
            )
        if month:
            found = re.fullmatch(r"(\d{4})-(\d{1,2})", month)
            if not found or not 1 <= int(found[2]) <= 12:
                raise BadArgumentError(
                    _("month %(month)r: give it as YYYY-MM, e.g. 2026-11", month=month)
                )
            return cls(int(found[1]), int(found[2]), fonds)
        if not re.fullmatch(r"\d{4}", year):
            raise BadArgumentError(_("year %(year)r: give it as YYYY, e.g. 2026", year=year))
        return cls(int(year), None, fonds)

    @property
    def first(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def last(self) -> date:
        if self.month is None or self.month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.month + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        """ "Tháng 11 năm 2026" or "Năm 2026"."""
        return f"Tháng {self.month} năm {self.year}" if self.month else f"Năm {self.year}"

    @property
    def slug(self) -> str:
        """For file names: 2026-11 or 2026 (and the fonds, if one)."""
        base = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        if self.fonds:
            plain = unicodedata.normalize("NFKD", self.fonds.replace("Đ", "D").replace("đ", "d"))
            code = re.sub(r"[^A-Za-z0-9]+", "-", plain.encode("ascii", "ignore").decode()).strip(
                "-"
            )
            base += f"-{code or 'phong'}"
        return base

    def bounds(self) -> tuple[datetime, datetime]:
        """[first day 00:00, the day after the last 00:00), UTC, as station stores times."""
        start = datetime.combine(self.first, time.min, UTC)
        return start, datetime.combine(self.last + timedelta(days=1), time.min, UTC)


def file_name(period: Period, suffix: str) -> str:
    return f"bao-cao-so-hoa-{period.slug}{suffix}"


def vn_date(day: date) -> str:
    """NĐ 30/2020's date line: a leading zero for days below 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


# --- the report as rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTable:
    """One numbered section: its heading, column heads, rows (text and ints), a total row."""

    key: str  # the XLSX sheet's name (<= 31 characters)
    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]
    total: tuple[str | int, ...] | None = None
    note: str = ""


@dataclass(frozen=True)
class Report:
    organization: str  # the digitizing body (settings.organization), "" when not set
    title: str
    period: Period
    made_on: date
    place: str
    tables: tuple[ReportTable, ...]

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)


def _reason_label(code: str) -> str:
    """The Vietnamese name of a reject reason ("blurred" -> "Mờ"); unknown codes as they are."""
    from station.review.rules import REJECT_REASONS

    label = REJECT_REASONS.get(code, "")
    found = re.search(r"\(([^)]*)\)\s*$", label)
    return found[1] if found else code or OTHER_REASON


def _fonds(code: Any) -> str:
    return nfc(str(code)) if code else ""


def _numbered(rows: Sequence[tuple[str | int, ...]]) -> tuple[tuple[str | int, ...], ...]:
    return tuple((i, *row) for i, row in enumerate(rows, start=1))


def _sum(rows: Sequence[tuple[str | int, ...]], width: int) -> tuple[str | int, ...]:
    return (TOTAL, *(sum(int(r[i]) for r in rows) for i in range(1, width)))


def _fonds_order(code: str) -> tuple[bool, str]:
    return (code == "", code)


def build_report(
    store: Store,
    period: Period,
    *,
    organization: str = "",
    place: str = "",
    today: date | None = None,
) -> Report:
    """The period's figures as numbered sections of plain rows."""
    start, end = period.bounds()
    with store.session() as s:
        digitized = _digitized(s, start, end, period.fonds)
        approved = _approved(s, start, end, period.fonds)
        exported = _exported(s, start, end, period.fonds)
        rejects = _rejects(s, start, end, period.fonds)
        rescans = _rescans(s, start, end, period.fonds)

    rows1 = [
        (_fonds(f) or NO_FOLDER, folders, pages)
        for f, (folders, pages) in sorted(digitized.items(), key=lambda i: _fonds_order(i[0]))
    ]
    section1 = ReportTable(
        "I. Số hóa theo phông",
        "I. KẾT QUẢ SỐ HÓA TRONG KỲ THEO PHÔNG",
        ("STT", "Phông", "Số hồ sơ được số hóa", "Số trang được số hóa"),
        _numbered(rows1),
        ("", *_sum(rows1, 3)),
        "Trang đã quét và xử lý xong trong kỳ (kể cả trang quét lại), không tính tờ phân cách.",
    )
    fonds2 = sorted(set(approved) | set(exported), key=_fonds_order)
    rows2 = [(_fonds(f) or NO_FOLDER, approved.get(f, 0), *exported.get(f, (0, 0))) for f in fonds2]
    section2 = ReportTable(
        "II. Duyệt và xuất",
        "II. HỒ SƠ ĐƯỢC DUYỆT VÀ XUẤT GIAO NỘP",
        ("STT", "Phông", "Số hồ sơ được duyệt", "Số hồ sơ được xuất", "Số lần xuất"),
        _numbered(rows2),
        ("", *_sum(rows2, 4)),
        "Hồ sơ được duyệt trong kỳ (còn giữ trạng thái đã duyệt) và gói xuất tạo trong kỳ.",
    )
    causes = sorted(set(rejects) | set(rescans), key=lambda c: (-rejects.get(c, 0), c))
    rows3 = [(c, rejects.get(c, 0), rescans.get(c, 0)) for c in causes]
    section3 = ReportTable(
        "III. Quét lại",
        "III. TRANG BỊ LOẠI, QUÉT LẠI VÀ NGUYÊN NHÂN",
        ("STT", "Nguyên nhân", "Số trang bị loại", "Số trang đã quét lại"),
        _numbered(rows3),
        ("", *_sum(rows3, 3)),
        "Trang bị loại khi duyệt trong kỳ; trang quét lại trong kỳ, theo lý do loại trang cũ.",
    )
    return Report(
        organization=nfc(organization.strip()),
        title=TITLE,
        period=period,
        made_on=today or datetime.now(UTC).date(),
        place=nfc(place.strip()),
        tables=(section1, section2, section3),
    )


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return (column >= start) & (column < end)


def _digitized(
    s: Any, start: datetime, end: datetime, fonds: str | None
) -> dict[str, tuple[int, int]]:
    """Per fonds: (folders, pages) of pages processed in batches started in the period.

    Pages are counted per folder on the (batch_id, state) index for the period's batches
    only, then summed per fonds over the few folder rows: on the review benchmark's
    1,000,000 pages a month without scanning answers in 1 ms (the join of every page with
    its batch and folder took 1.1 s); a month holding 890,000 of them still takes 1.1 s.
    """
    batches = sa_select(col(Batch.id)).where(_in(col(Batch.started_at), start, end))
    per_folder = (
        sa_select(col(Page.folder_id), func.count(col(Page.id)))
        .where(
            col(Page.batch_id).in_(batches.scalar_subquery()),
            col(Page.state) == "ok",
            col(Page.separator).is_(None),
            col(Page.rescan_of).is_(None),
        )
        .group_by(col(Page.folder_id))
    )
    counts = {folder_id: int(n) for folder_id, n in s.execute(per_folder).all()}
    found = sa_select(col(Folder.folder_id), col(Folder.fonds_code), col(Folder.in_manifest))
    found = found.where(col(Folder.folder_id).in_([f for f in counts if f]))
    folders = {f: (code, manifest) for f, code, manifest in s.execute(found).all()}
    out: dict[str, tuple[int, int]] = {}
    for folder_id, pages in counts.items():
        code, manifest = folders.get(folder_id, ("", False))
        key = _fonds(code)
        if fonds and key != fonds:
            continue
        counted = 1 if key and manifest else 0  # the holding folder ("unassigned"): no folder
        old = out.get(key, (0, 0))
        out[key] = (old[0] + counted, old[1] + pages)
    return out


def _approved(s: Any, start: datetime, end: datetime, fonds: str | None) -> dict[str, int]:
    q = (
        sa_select(col(Folder.fonds_code), func.count())
        .where(col(Folder.approved_at).is_not(None), _in(col(Folder.approved_at), start, end))
        .group_by(col(Folder.fonds_code))
    )
    if fonds:
        q = q.where(col(Folder.fonds_code) == fonds)
    return {_fonds(f): int(n) for f, n in s.execute(q).all()}


def _exported(
    s: Any, start: datetime, end: datetime, fonds: str | None
) -> dict[str, tuple[int, int]]:
    """Per fonds: (folders exported, export versions made) in the period."""
    q = (
        sa_select(
            col(Folder.fonds_code),
            func.count(distinct(col(ExportVersion.folder_id))),
            func.count(col(ExportVersion.id)),
        )
        .select_from(ExportVersion)
        .join(Folder, col(ExportVersion.folder_id) == col(Folder.folder_id), isouter=True)
        .where(_in(col(ExportVersion.created_at), start, end))
        .group_by(col(Folder.fonds_code))
    )
    if fonds:
        q = q.where(col(Folder.fonds_code) == fonds)
    return {_fonds(f): (int(n), int(v)) for f, n, v in s.execute(q).all()}


def _by_cause(pairs: list[tuple[Any, Any]]) -> dict[str, int]:
    """Stored reasons ("blurred", "other: torn") counted under their Vietnamese cause."""
    out: dict[str, int] = {}
    for reason, n in pairs:
        label = _reason_label(str(reason or "other").partition(":")[0].strip())
        out[label] = out.get(label, 0) + int(n)
    return out


def _rejects(s: Any, start: datetime, end: datetime, fonds: str | None) -> dict[str, int]:
    q = (
        sa_select(col(Page.reason), func.count())
        .select_from(Page)
        .join(Folder, col(Page.folder_id) == col(Folder.folder_id), isouter=True)
        .where(col(Page.decision) == "reject", _in(col(Page.decided_at), start, end))
        .group_by(col(Page.reason))
    )
    if fonds:
        q = q.where(col(Folder.fonds_code) == fonds)
    return _by_cause(list(s.execute(q).all()))


def _rescans(s: Any, start: datetime, end: datetime, fonds: str | None) -> dict[str, int]:
    """Rejected pages whose replacement was scanned in the period, by the rejection's reason."""
    old, new = aliased(Page), aliased(Page)
    reason = col(old.reason)
    q = (
        sa_select(reason, func.count())
        .select_from(old)
        .join(new, col(new.id) == col(old.replaced_by))
        .join(Batch, col(Batch.id) == col(new.batch_id))
        .join(Folder, col(Folder.folder_id) == col(old.folder_id), isouter=True)
        .where(col(old.replaced_by).is_not(None), _in(col(Batch.started_at), start, end))
        .group_by(reason)
    )
    if fonds:
        q = q.where(col(Folder.fonds_code) == fonds)
    return _by_cause(list(s.execute(q).all()))


# --- PDF/A ------------------------------------------------------------------------------------


def write_pdfa(report: Report, path: Path) -> None:
    """The report as a printable A4 PDF/A-2b, checked before it replaces `path`.

    fpdf2 lays it out (DejaVu Serif embedded, subset, with its Unicode map, so the
    Vietnamese text is both drawn and extractable) and declares PDF/A-2B with an sRGB
    output intent. pikepdf then writes it with its PDF/A check, as for every other PDF/A
    station writes (station.pipeline.pdfa): fpdf2's /OpenAction (open at page 1, a plain
    destination) is dropped first, as pikepdf's allowlist does not know it. An invalid
    file is never left behind.
    """
    import io

    import pikepdf
    import pikepdf.pdfa

    from station.pipeline.pdfa import temporary_beside

    data = _render(report)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            _(
                "%(name)s: cannot write in %(parent)s: %(exc)s",
                name=path.name,
                parent=path.parent,
                exc=exc,
            )
        ) from exc
    with temporary_beside(path) as tmp:
        try:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                if "/OpenAction" in pdf.Root:
                    del pdf.Root["/OpenAction"]
                flavour = pikepdf.pdfa.Flavour(PDFA_FLAVOUR)
                pikepdf.pdfa.save(pdf, tmp, flavour, output_intent=None, repair=False)
        except pikepdf.pdfa.PdfaError as exc:
            findings = exc.report.violations + exc.report.unsupported
            rules = "; ".join(sorted({f"{f.rule} ({f.message})" for f in findings}))
            raise OutputError(
                _(
                    "%(name)s failed PDF/A-%(pdfa_flavour)s validation: %(rules)s",
                    name=path.name,
                    pdfa_flavour=PDFA_FLAVOUR,
                    rules=rules,
                )
            ) from exc
        except (OSError, pikepdf.PdfError) as exc:
            raise OutputError(
                _("%(name)s: cannot write the report: %(exc)s", name=path.name, exc=exc)
            ) from exc
        tmp.replace(path)


def _render(report: Report) -> bytes:
    # fpdf2 ships no type information for mypy's strict mode in every version.
    import fpdf  # type: ignore[import-untyped, unused-ignore]
    from fpdf import FPDF  # type: ignore[import-untyped, unused-ignore]
    from fpdf.enums import OutputIntentSubType  # type: ignore[import-untyped, unused-ignore]
    from fpdf.output import PDFICCProfile  # type: ignore[import-untyped, unused-ignore]

    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        from station.errors import MissingToolError

        raise MissingToolError(
            _(
                "The report needs the DejaVu fonts (%(missing)s in %(font_dir)s): install the "
                "fonts-dejavu-core package (scripts/setup does)",
                missing=", ".join(missing),
                font_dir=FONT_DIR,
            )
        )

    class Sheets(FPDF):  # type: ignore[misc, unused-ignore]
        def header(self) -> None:
            """NĐ 30/2020: pages numbered from the second, in Arabic numerals, top centre."""
            if self.page_no() > 1:
                self.set_font("Serif", "", 11)
                self.set_y(10)
                self.cell(0, 5, str(self.page_no()), align="C")
                self.set_y(self.t_margin)

    pdf = Sheets(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-2B")
    pdf.set_margins(30, 20, 15)  # NĐ 30/2020: left 30-35, right 15-20, top/bottom 20-25 mm
    pdf.set_auto_page_break(True, margin=20)
    for style, name in FONTS.items():
        pdf.add_font("Serif", style, str(FONT_DIR / name))
    icc = Path(str(fpdf.__file__)).parent / "data/color_profiles/sRGB2014.icc"
    pdf.add_output_intent(
        OutputIntentSubType.PDFA,
        output_condition_identifier="sRGB",
        output_condition="IEC 61966-2-1:1999",
        registry_name="http://www.color.org",
        dest_output_profile=PDFICCProfile(contents=icc.read_bytes(), n=3, alternate="DeviceRGB"),
        info="sRGB2014 (v2)",
    )
    pdf.set_title(nfc(f"{report.title} – {report.period.label}"))
    pdf.set_author(report.organization or "station")
    pdf.set_creator("station")
    pdf.set_producer("station (fpdf2)")
    pdf.set_lang("vi-VN")
    pdf.set_creation_date(datetime.combine(report.made_on, time(12), UTC))
    pdf.add_page()
    _header(pdf, report)
    for table in report.tables:
        _section(pdf, table)
    _signature(pdf, report)
    return bytes(pdf.output())


def _header(pdf: Any, report: Report) -> None:
    """Quốc hiệu and tiêu ngữ on the right, the body's name on the left, then the title."""
    width = pdf.epw
    left_w, right_w = width * 0.42, width * 0.58
    x0, y0 = pdf.l_margin, pdf.get_y()
    pdf.set_font("Serif", "B", 11)
    organization = report.organization.upper() or "TÊN CƠ QUAN, TỔ CHỨC"
    pdf.set_xy(x0, y0)
    pdf.multi_cell(left_w, 5.5, organization, align="C")
    left_bottom = pdf.get_y()
    rule = min(pdf.get_string_width(organization), left_w) / 3
    pdf.line(
        x0 + left_w / 2 - rule / 2, left_bottom + 1, x0 + left_w / 2 + rule / 2, left_bottom + 1
    )
    pdf.set_font("Serif", "", 11)
    pdf.set_xy(x0, left_bottom + 3)
    pdf.cell(left_w, 5.5, "Số: ....../BC-......", align="C")

    pdf.set_xy(x0 + left_w, y0)
    pdf.set_font("Serif", "B", 11)
    pdf.cell(right_w, 5.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    pdf.set_xy(x0 + left_w, y0 + 5.5)
    pdf.set_font("Serif", "B", 12)
    motto = "Độc lập - Tự do - Hạnh phúc"
    pdf.cell(right_w, 6, motto, align="C")
    half = pdf.get_string_width(motto) / 2
    centre = x0 + left_w + right_w / 2
    pdf.line(centre - half, y0 + 12, centre + half, y0 + 12)
    pdf.set_xy(x0 + left_w, y0 + 14)
    pdf.set_font("Serif", "I", 11)
    place = report.place or "................"
    pdf.cell(right_w, 6, f"{place}, {vn_date(report.made_on)}", align="C")

    pdf.set_y(max(pdf.get_y(), left_bottom + 9) + 7)
    pdf.set_font("Serif", "B", 14)
    pdf.cell(0, 7, "BÁO CÁO", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 12)
    pdf.cell(0, 6, "Thống kê công tác số hóa tài liệu", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, report.period.label, align="C", new_x="LMARGIN", new_y="NEXT")
    centre, rule = pdf.l_margin + pdf.epw / 2, 30
    pdf.line(centre - rule / 2, pdf.get_y() + 1, centre + rule / 2, pdf.get_y() + 1)
    pdf.ln(3)
    pdf.set_font("Serif", "", 12)
    p = report.period
    line = f"Kỳ báo cáo: từ ngày {p.first:%d/%m/%Y} đến ngày {p.last:%d/%m/%Y}."
    pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    scope = f"Phạm vi: phông {p.fonds}." if p.fonds else "Phạm vi: tất cả các phông."
    pdf.multi_cell(0, 6, scope, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _section(pdf: Any, table: ReportTable) -> None:
    from fpdf.fonts import FontFace  # type: ignore[import-untyped, unused-ignore]

    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.set_font("Serif", "B", 12)
    pdf.multi_cell(0, 7, table.heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "I", 10)
    if table.note:
        pdf.multi_cell(0, 5, table.note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("Serif", "", 10.5)
    figures = len(table.columns) - 2  # number columns 32 mm each; names take the rest
    widths = (11, pdf.epw - 11 - 32 * figures, *(32 for _ in range(figures)))
    aligns = ("CENTER", "LEFT") + ("RIGHT",) * (len(table.columns) - 2)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align=aligns,
        headings_style=FontFace(emphasis="BOLD"),
        line_height=5.2,
        padding=0.8,
    ) as grid:
        head = grid.row()
        for name in table.columns:
            head.cell(name, align="CENTER")
        if not table.rows:
            empty = grid.row()
            empty.cell("Không có số liệu trong kỳ", colspan=len(table.columns), align="CENTER")
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(_shown(value))
        if table.total is not None and table.rows:
            row = grid.row(style=FontFace(emphasis="BOLD"))
            for value in table.total:
                row.cell(_shown(value))
    pdf.ln(3)


def _shown(value: str | int) -> str:
    """Numbers with the Vietnamese thousands dot: 12.345."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else value


def _signature(pdf: Any, report: Report) -> None:
    """Nơi nhận on the left; the signer's block on the right, left empty for a hand signature."""
    if pdf.get_y() + SIGNATURE_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(2)
    width = pdf.epw
    y = pdf.get_y()
    x0 = pdf.l_margin
    pdf.set_xy(x0, y)
    pdf.set_font("Serif", "BI", 10)
    pdf.cell(width * 0.45, 5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 9.5)
    for line in ("- Lãnh đạo đơn vị;", "- Lưu: VT, hồ sơ số hóa."):
        pdf.cell(width * 0.45, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(x0 + width * 0.45, y)
    pdf.set_font("Serif", "B", 11)
    pdf.cell(width * 0.55, 6, "NGƯỜI LẬP BÁO CÁO", align="C")
    pdf.set_xy(x0 + width * 0.45, y + 6)
    pdf.set_font("Serif", "I", 10)
    pdf.cell(width * 0.55, 5, "(Ký, ghi rõ họ tên)", align="C")
    pdf.set_y(y + SIGNATURE_MM)


# --- XLSX -------------------------------------------------------------------------------------


def write_xlsx(report: Report, path: Path) -> None:
    """One sheet per section: the heading, the period, then the table with its total."""
    # openpyxl has no type information (types-openpyxl is not a dependency).
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]

    from station.spreadsheet import append_text_row

    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        append_text_row(sheet, [table.heading])
        sheet["A1"].font = Font(bold=True)
        scope = f" – phông {report.period.fonds}" if report.period.fonds else ""
        append_text_row(sheet, [f"{report.title} – {report.period.label}{scope}"])
        append_text_row(sheet, table.columns)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            append_text_row(sheet, row)
        if table.total is not None:
            append_text_row(sheet, table.total)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.freeze_panes = "A4"
        sheet.column_dimensions["A"].width = 6
        sheet.column_dimensions["B"].width = 34
        for letter in "CDE":
            sheet.column_dimensions[letter].width = 20
    from station.pipeline.pdfa import temporary_beside

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            _(
                "%(name)s: cannot write in %(parent)s: %(exc)s",
                name=path.name,
                parent=path.parent,
                exc=exc,
            )
        ) from exc
    with temporary_beside(path) as tmp:
        try:
            book.save(tmp)
        except OSError as exc:
            raise OutputError(
                _("%(name)s: cannot write the workbook: %(exc)s", name=path.name, exc=exc)
            ) from exc
        tmp.replace(path)
