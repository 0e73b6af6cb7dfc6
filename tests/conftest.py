"""Shared fixtures: an isolated data directory, the CLI in-process, and generated batches."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from station.cli import app
from station.profiles import ScanProfile, load_profile
from station.settings import StationSettings, load_settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "real"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StationSettings:
    """Settings pointing at a fresh data directory, as a new station would have."""
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
    monkeypatch.delenv("STATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "station.toml"))
    return load_settings()


@pytest.fixture
def default_profile(settings: StationSettings) -> ScanProfile:
    return load_profile("text-gray-300", settings.profiles_dir)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_station(settings: StationSettings) -> Iterator[object]:
    """Run the `station` command in-process and return its exit code and output."""
    runner = CliRunner()

    def run(*args: str) -> CliResult:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    yield run


@pytest.fixture(scope="session")
def tests_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The generator's small 'tests' set: documents, a blank page and broken files (made once)."""
    import make_samples

    folder = tmp_path_factory.mktemp("batches") / "tests-batch"
    truth = make_samples.make_batch(folder, seed=11, sample_set="tests")
    return folder, truth


@pytest.fixture
def batch_copy(tests_batch: tuple[Path, list[dict[str, object]]], tmp_path: Path) -> Path:
    """A private copy of the tests batch, so a test may inspect that originals stay untouched."""
    target = tmp_path / tests_batch[0].name
    shutil.copytree(tests_batch[0], target)
    return target


# --- the review app: a station with folders, pages and people --------------------------------

PASSWORD = "correct horse battery"  # every test user's password


@dataclass
class ReviewRoom:
    """A station database as review finds it: manifest folders with scanned pages.

    Folders (archival id -> what is in it):
    - "05/01/HS-001" (box 1): 6 pages fed by op1; page 3 flagged blurred, page 5 blank-ish
    - "05/01/HS-002" (box 1): 3 pages fed by rev1 (four eyes: rev1 may not decide them)
    - "05/01/HS-003" (box 2): 2 pages, secrecy Mật (only users cleared for Mật see it)
    - "05/01/HS-004" (box 2): in the manifest, nothing scanned yet
    Users: op1 (operator), rev1 and rev2 (reviewer), arch (archivist), boss (admin), secret
    (reviewer cleared Tối mật), all with PASSWORD.
    """

    settings: StationSettings
    store: object
    folders: dict[str, int]  # archival folder id -> short id used in URLs
    pages: dict[str, list[int]]  # archival folder id -> page ids in order
    batches: dict[str, int]  # operator -> batch id


def make_review_room(settings: StationSettings) -> ReviewRoom:
    """Rows written through the store the way the runner and documents write them; the page
    images are real small JPEGs and the OCR text real hOCR, in the data directory."""
    import datetime

    from PIL import Image, ImageDraw

    from station import auth
    from station.manifest import ManifestFolder
    from station.store import Store

    store = Store.open(settings.database_url)
    folders = [
        ManifestFolder(
            folder_id=f"05/01/HS-00{n}",
            fonds_code="05",
            catalogue_no="01",
            box_no=box,
            folder_no=str(n),
            title=title,
            start_date=datetime.date(2019, 1, 1),
            end_date=datetime.date(2019, 12, 31),
            retention_years=None,
            access="",
            sheet_count=sheets,
            language="vi",
            notes="",
            physical_condition="",
            secrecy=secrecy,
            source_row=n + 1,
        )
        for n, box, title, sheets, secrecy in (
            (1, "1", "Công văn về việc tổ chức hội nghị tổng kết năm 2019", 6, ""),
            (2, "1", "Báo cáo tình hình thực hiện nhiệm vụ", 3, ""),
            (3, "2", "Kế hoạch bảo vệ bí mật nhà nước", 2, "Mật"),
            (4, "2", "Tờ trình chưa quét", 1, ""),
        )
    ]
    store.import_folders(folders, Path("manifest.csv"))
    for name, role, clearance in (
        ("op1", "operator", ""),
        ("rev1", "reviewer", ""),
        ("rev2", "reviewer", ""),
        ("arch", "archivist", ""),
        ("boss", "admin", ""),
        ("secret", "reviewer", "Tối mật"),
    ):
        store.add_user(
            name, role=role, clearance=clearance, password_hash=auth.hash_password(PASSWORD)
        )
    derivatives_root = settings.data_dir / "derivatives"
    masters = settings.data_dir / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[int]] = {}
    batches: dict[str, int] = {}
    plan = (
        ("op1", "05/01/HS-001", 6),
        ("rev1", "05/01/HS-002", 3),
        ("op1", "05/01/HS-003", 2),
    )
    for operator, folder_id, count in plan:
        batch_id = batches.get(operator) or store.create_batch(
            f"batch-{operator}", masters, "text-gray-300", None
        )
        store.set_batch_source(
            batch_id, source_dir=masters, operator=operator, station_name="s1", origin="hotfolder"
        )
        batches[operator] = batch_id
        ids = []
        for number in range(1, count + 1):
            name = f"{folder_id.replace('/', '_')}_{number:03d}"
            master = masters / f"{name}.tif"
            picture = Image.new("L", (1240, 1754), 255)
            draw = ImageDraw.Draw(picture)
            draw.text((100, 100), f"{folder_id} trang {number}", fill=0)
            picture.save(master, dpi=(150, 150))
            page_id = store.add_page(
                batch_id,
                seq=len(ids),
                source_file=f"{name}.tif",
                page_index=0,
                sha256=f"{hash(name) & 0xFFFFFFFF:064x}",
                master_path=master,
            )
            work = derivatives_root / f"{page_id:08d}"
            work.mkdir(parents=True)
            picture.resize((620, 877)).save(work / "preview.jpg")
            picture.resize((160, 226)).save(work / "thumbnail.jpg")
            (work / "page.hocr").write_text(_HOCR.format(n=number), encoding="utf-8")
            flags = ["blurred"] if (folder_id, number) == ("05/01/HS-001", 3) else []
            flags += ["possible_blank"] if (folder_id, number) == ("05/01/HS-001", 5) else []
            store.update_page(
                page_id,
                state="ok",
                flags=flags,
                dpi=150.0,
                width_px=1240,
                height_px=1754,
                rotation=0,
                ocr_confidence=88.0,
                ocr_word_count=6,
                derivatives={
                    "preview": str(work / "preview.jpg"),
                    "thumbnail": str(work / "thumbnail.jpg"),
                    "hocr": str(work / "page.hocr"),
                },
            )
            ids.append(page_id)
        store.place_pages(folder_id, ids, "text-gray-300")
        pages[folder_id] = ids
    numbers = {f.folder_id: f.id for f in store.list_folders()}
    return ReviewRoom(settings, store, numbers, pages, batches)  # type: ignore[arg-type]


_HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class="ocr_page" title="bbox 0 0 1240 1754">
<p class="ocr_par"><span class="ocr_line" title="bbox 100 100 900 140">
<span class="ocrx_word" title="bbox 100 100 200 140; x_wconf 95">Công</span>
<span class="ocrx_word" title="bbox 210 100 300 140; x_wconf 91">văn</span>
<span class="ocrx_word" title="bbox 310 100 400 140; x_wconf 42">sô</span>
<span class="ocrx_word" title="bbox 410 100 500 140; x_wconf 90">{n}</span>
</span></p></div></body></html>
"""


@pytest.fixture
def review_room(settings: StationSettings) -> ReviewRoom:
    return make_review_room(settings)
