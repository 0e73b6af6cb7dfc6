"""Export end to end: a generated batch processed, reviewed and approved, then packaged as
BagIt bags (METS/PREMIS inside), Archivematica transfers and an AtoM import, verified, damaged
and verified again; exports repeated, versioned, refused and interrupted."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bagit
import make_samples as ms
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from station import auth
from station.cli import app
from station.errors import ConflictError, ExitCode, NotAllowedError, NotFoundError
from station.export import catalogue, mets, packages
from station.manifest import read_manifest
from station.pipeline import separators
from station.profiles import load_profile
from station.review import documents as document_review
from station.review import rules
from station.room import runner
from station.settings import StationSettings, load_settings
from station.store import Store, User

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
CORRECTED = "Về việc thử nghiệm xuất hồ sơ theo từng văn bản"
OPEN, SECRET, WAITING = "P9/01/01", "P9/01/02", "P9/01/03"
MANIFEST = f"""\
Mã phông;Mục lục số;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Chế độ sử dụng;Số lượng tờ;Độ mật
P9;1;1;1;{OPEN};Hồ sơ về công tác tổ chức cán bộ năm 2018;2018;2018;Vĩnh viễn;Hạn chế;3;
P9;1;1;2;{SECRET};Kế hoạch bảo vệ bí mật nhà nước;2019;2019;Vĩnh viễn;Hạn chế;1;Mật
P9;1;2;1;{WAITING};Báo cáo chưa duyệt;2020;2020;10 năm;Công khai;1;
"""


def _document(seed: int) -> Image.Image:
    page, _ = ms.render_document_page(np.random.default_rng(seed), dpi=300)
    return page


def _sheet(folder_id: str) -> Image.Image:
    label = separators.SeparatorLabel(folder_id, "1", "1", "tờ phân cách")
    return Image.fromarray(separators.render_separator_sheet(label))


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three folders scanned in one batch by op1; two reviewed and approved."""
    root = tmp_path_factory.mktemp("export")
    env = {
        "STATION_DATA_DIR": str(root / "data"),
        "STATION_PROFILES_DIR": str(REPO / "profiles"),
        "STATION_CONFIG": str(root / "station.toml"),
        "STATION_ORGANIZATION": "Văn phòng Tỉnh ủy Thử nghiệm",
    }
    settings = load_settings(
        data_dir=root / "data",
        profiles_dir=REPO / "profiles",
        organization="Văn phòng Tỉnh ủy Thử nghiệm",
    )
    store = Store.open(settings.database_url)
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    store.import_folders(read_manifest(root / "manifest.csv"), root / "manifest.csv")
    for name, role, clearance in (
        ("rev", "reviewer", "Mật"),
        ("arch", "archivist", ""),
        ("chief", "archivist", "Mật"),
    ):
        store.add_user(
            name, role=role, clearance=clearance, password_hash=auth.hash_password(PASSWORD)
        )
    batch = root / "batch"
    batch.mkdir()
    scans = [
        _sheet(OPEN), _document(61), _document(62), Image.new("L", (2480, 3508), 255),
        _sheet(SECRET), _document(63),
        _sheet(WAITING), _document(64),
    ]  # fmt: skip
    for number, image in enumerate(scans, start=1):
        image.save(batch / f"scan_{number:02d}.tif", dpi=(300, 300), compression="tiff_lzw")
    profile = load_profile("text-gray-300", settings.profiles_dir)
    runner.process_batch(batch, root / "out", profile, settings, workers=2, operator="op1")
    rev = _user(store, "rev")
    pages = [p for p in store.folder_pages(OPEN) if p.separator is None]
    rules.decide(store, rev, pages[0].id, "approve")  # type: ignore[arg-type]
    rules.turn_page(store, rev, pages[1].id, 90)  # type: ignore[arg-type]
    rules.decide(store, rev, pages[1].id, "approve")  # type: ignore[arg-type]
    rules.decide(store, rev, pages[2].id, "blank")  # type: ignore[arg-type]
    # the documents (văn bản) found in the folders are checked before approval; one
    # trích yếu corrected, so the correction travels into the package's history
    first = store.documents_of_folder(OPEN)[0]
    assert first.id is not None
    document_review.edit_fields(store, rev, first.id, {"summary": CORRECTED})
    document_review.confirm_all(store, rev, OPEN, profiles_dir=settings.profiles_dir)
    document_review.confirm_all(
        store, _user(store, "chief"), SECRET, profiles_dir=settings.profiles_dir
    )
    rules.approve_all(store, _user(store, "arch"), OPEN, profiles_dir=settings.profiles_dir)
    rules.approve_all(store, _user(store, "chief"), SECRET, profiles_dir=settings.profiles_dir)
    return {"root": root, "settings": settings, "store": store, "env": env, "batch": batch}


def _user(store: Store, name: str) -> User:
    user = store.get_user(name)
    assert user is not None
    return user


def _export(room: dict[str, Any], fmt: str, out: Path, *ids: str, **kw: Any) -> list[Any]:
    store = room["store"]
    user = _user(store, kw.pop("who", "chief"))
    ids_or_open = list(ids) or [OPEN]
    return packages.export_folders(store, room["settings"], user, ids_or_open, fmt, out, **kw)


def _tree(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_a_bag_per_folder_valid_complete_and_faithful(room: dict[str, Any], tmp_path: Path) -> None:
    (result,) = _export(room, "bagit", tmp_path)
    bag_dir = tmp_path / "P9-01-01"
    assert result.path == bag_dir and not result.unchanged and result.version == 1
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == OPEN
    assert bag.info["External-Description"].startswith("Hồ sơ về công tác tổ chức")
    assert bag.info["Source-Organization"] == "Văn phòng Tỉnh ủy Thử nghiệm"
    assert "Payload-Oxum" in bag.info and "Bagging-Date" in bag.info
    data = bag_dir / "data"
    assert (data / "P9-01-01.pdf").is_file()
    masters = sorted((data / "masters").iterdir())
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in room["batch"].glob("*.tif")}
    assert len(masters) == 3 and all(
        hashlib.sha256(m.read_bytes()).hexdigest() in originals for m in masters
    ), "masters byte-identical to what the scanner produced, separator sheet left out"
    assert len(list((data / "text").glob("*.txt"))) >= 2
    assert len(list((data / "hocr").glob("*.hocr"))) >= 2
    import pikepdf

    with pikepdf.open(data / "P9-01-01.pdf") as document:
        assert len(document.pages) == 2, "the page confirmed blank is left out of the PDF/A"
        assert int(document.pages[1].get("/Rotate", 0)) % 360 == 90, "the reviewer's turn"
    record = json.loads((data / "metadata.json").read_text(encoding="utf-8"))
    assert record["folder"]["folder_id"] == {"vi": "Mã hồ sơ", "value": OPEN}
    assert record["folder"]["retention"]["value"] == "Vĩnh viễn"
    assert mets.validate_mets(data / "METS.xml") == []
    xml = (data / "METS.xml").read_text(encoding="utf-8")
    for needed in ("capture", "transcription", "validation", "information package creation",
                   "modification", "tesseract", "chief", "rev"):  # fmt: skip
        assert needed in xml, f"PREMIS history lacks {needed}"
    verified = CliRunner(env=room["env"]).invoke(app, ["export", "verify", str(bag_dir)])
    assert verified.exit_code == 0, verified.output


def test_the_same_folder_exported_again_gives_the_same_bytes(
    room: dict[str, Any], tmp_path: Path
) -> None:
    (first,) = _export(room, "bagit", tmp_path / "a")
    (again,) = _export(room, "bagit", tmp_path / "a")
    assert again.unchanged and again.path == first.path
    (elsewhere,) = _export(room, "bagit", tmp_path / "b")
    assert _tree(first.path) == _tree(elsewhere.path), "payload, manifests and tag files alike"


def test_a_damaged_payload_byte_is_named(room: dict[str, Any], tmp_path: Path) -> None:
    (result,) = _export(room, "bagit", tmp_path)
    text = sorted((result.path / "data" / "text").glob("*.txt"))[0]
    data = bytearray(text.read_bytes())
    data[0] ^= 0x01
    text.write_bytes(bytes(data))
    problems = packages.verify(result.path)
    assert problems and all(f"data/text/{text.name}" in p for p in problems), problems
    verified = CliRunner(env=room["env"]).invoke(app, ["export", "verify", str(result.path)])
    assert verified.exit_code == ExitCode.OUTPUT_ERROR
    assert text.name in verified.stderr and "checksum" in verified.stderr


def test_a_changed_folder_gets_a_new_version_and_the_old_stays(
    room: dict[str, Any], tmp_path: Path
) -> None:
    store = room["store"]
    (v1,) = _export(room, "bagit", tmp_path)
    before = _tree(v1.path)
    chief = _user(store, "chief")
    number = store.get_folder(OPEN).id
    rules.reopen_folder(store, chief, number)
    rules.edit_metadata(store, chief, number, {"notes": "Bổ sung ghi chú sau số hóa"})
    rules.approve_folder(store, chief, number)
    (v2,) = _export(room, "bagit", tmp_path)
    assert v2.version == v1.version + 1 and v2.path.name == f"P9-01-01.v{v2.version}"
    assert _tree(v1.path) == before, "never a silent overwrite"
    bagit.Bag(str(v2.path)).validate()


def test_only_approved_folders_export_and_secrets_only_with_clearance(
    room: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(ConflictError, match=f"{WAITING} is not approved"):
        _export(room, "bagit", tmp_path, WAITING)
    with pytest.raises(NotFoundError):
        _export(room, "bagit", tmp_path, SECRET, who="arch")
    with pytest.raises(NotAllowedError, match="archivist"):
        _export(room, "bagit", tmp_path, OPEN, who="rev")
    assert not list(tmp_path.iterdir()), "nothing written when refused"
    (secret,) = _export(room, "bagit", tmp_path, SECRET, who="chief")
    record = json.loads((secret.path / "data" / "metadata.json").read_text(encoding="utf-8"))
    assert record["folder"]["secrecy"]["value"] == "Mật"
    assert "Độ mật: Mật" in (secret.path / "data" / "METS.xml").read_text(encoding="utf-8")


def test_archivematica_transfer_folder_and_zipped_bag(room: dict[str, Any], tmp_path: Path) -> None:
    (transfer,) = _export(room, "archivematica", tmp_path)
    assert (transfer.path / "objects" / "P9-01-01.pdf").is_file()
    with (transfer.path / "metadata" / "metadata.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "filename" and any(c.startswith("dc.") for c in rows[0])
    assert all((transfer.path / row[0]).exists() for row in rows[1:])
    assert packages.verify(transfer.path) == []
    (zipped,) = _export(room, "archivematica", tmp_path, zipped=True)
    assert zipped.path.suffix == ".zip" and packages.verify(zipped.path) == []
    with pytest.raises(ConflictError, match="already holds the archivematica package"):
        _export(room, "bagit", tmp_path)  # the same name: never mistaken for a bag


def test_atom_csv_header_hierarchy_and_objects(room: dict[str, Any], tmp_path: Path) -> None:
    (result,) = _export(room, "atom-csv", tmp_path, OPEN, SECRET)
    table = result.path / "information_objects.csv"
    with table.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert tuple(reader.fieldnames or ()) == catalogue.ATOM_COLUMNS
    legacy = {row["legacyId"] for row in rows}
    assert all(row["parentId"] in legacy for row in rows if row["parentId"])
    assert {row["culture"] for row in rows} == {"vi"}
    files = [row for row in rows if row["levelOfDescription"] == "File"]
    assert len(files) == 2 and all(Path(r["digitalObjectPath"]).is_file() for r in files)
    secret = next(r for r in files if SECRET in r["identifier"] or r["title"].startswith("Kế"))
    assert "Mật" in secret["accessConditions"]
    # one Item per document (văn bản), under its file, with its own PDF/A
    items = [row for row in rows if row["levelOfDescription"] == "Item"]
    store = room["store"]
    documents = [*store.documents_of_folder(OPEN), *store.documents_of_folder(SECRET)]
    assert len(items) == len(documents) == 3
    by_file = {row["legacyId"]: row for row in files}
    for item in items:
        parent = by_file[item["parentId"]]
        assert item["digitalObjectPath"].endswith(".pdf")
        assert Path(item["digitalObjectPath"]).is_file()
        assert Path(item["digitalObjectPath"]).name.startswith(
            Path(parent["digitalObjectPath"]).stem + "."
        )
        assert item["title"] and item["scopeAndContent"]
        code = item["alternativeIdentifiers"] or item["identifier"]
        assert code.startswith(parent["identifier"] + ".")
    first = next(row for row in items if row["legacyId"] == f"item:{OPEN}#1")
    assert first["title"] == CORRECTED
    stored = documents[0].fields["number_symbol"]["value"]
    assert first["identifier"] == (stored or f"{OPEN}.1"), "số/ký hiệu as the identifier"
    assert first["alternativeIdentifierLabels"] == ("Mã lưu trữ tài liệu" if stored else "")
    secret_item = next(row for row in items if row["parentId"] == f"file:{SECRET}")
    assert "Độ mật: Mật" in secret_item["accessConditions"]
    assert secret_item["publicationStatus"] == "Draft", "a secret item is never published"
    assert packages.verify(result.path) == []


def test_an_interrupted_export_leaves_no_package(room: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "station", "export", "--format", "bagit",
               "--folder", OPEN, "--out", str(out), "--as", "chief"]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **room["env"]})
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".partial-") for p in out.iterdir()):
        assert process.poll() is None, "the export ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not [p for p in out.iterdir() if not p.name.startswith(".partial-")], "no package"
    (result,) = _export(room, "bagit", out)
    assert [p.name for p in out.iterdir()] == [result.path.name], "leftovers cleared"
    bagit.Bag(str(result.path)).validate()


def test_export_command_line(room: dict[str, Any], tmp_path: Path) -> None:
    run = CliRunner(env=room["env"]).invoke
    refused = run(app, ["export", "--format", "bagit", "--folder", WAITING,
                        "--out", str(tmp_path), "--as", "chief"])  # fmt: skip
    assert refused.exit_code == ExitCode.REFUSED and "not approved" in refused.stderr
    done = run(app, ["export", "--format", "bagit", "--approved", "--out", str(tmp_path),
                     "--as", "chief", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    written = json.loads(done.stdout)
    assert {tuple(r["folders"]) for r in written} == {(OPEN,), (SECRET,)}
    only_open = run(app, ["export", "--format", "bagit", "--approved", "--out",
                          str(tmp_path / "arch"), "--as", "arch", "--json"])  # fmt: skip
    assert [r["folders"] for r in json.loads(only_open.stdout)] == [[OPEN]]


def test_settings_for_export(tmp_path: Path) -> None:
    settings = StationSettings(data_dir=tmp_path, organization="Lưu trữ lịch sử")
    assert settings.organization == "Lưu trữ lịch sử"


def test_the_export_button_over_the_api(
    room: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from qa.app import create_app

    settings = room["settings"].model_copy(update={"export_dir": tmp_path / "exports"})
    store = room["store"]
    for key, value in room["env"].items():  # the export runs as `station export` on its own
        monkeypatch.setenv(key, value)
    client = TestClient(create_app(settings))
    me = client.post("/api/login", data={"username": "chief", "password": PASSWORD}).json()
    headers = {"X-CSRF-Token": me["csrf_token"]}
    number = store.get_folder(SECRET).id
    done = client.post(f"/api/folders/{number}/export", json={"format": "bagit"}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["folders"] == [SECRET] and Path(done.json()["path"]).is_dir()
    bagit.Bag(done.json()["path"]).validate()
    waiting = store.get_folder(WAITING).id
    refused = client.post(f"/api/folders/{waiting}/export", json={"format": "bagit"},
                          headers=headers)  # fmt: skip
    assert refused.status_code == 409 and "not approved" in refused.json()["detail"]


def test_damaging_a_package_never_reaches_master_storage(
    room: dict[str, Any], tmp_path: Path
) -> None:
    (result,) = _export(room, "bagit", tmp_path)
    store = room["store"]
    kept = {p.master_path: Path(p.master_path).read_bytes() for p in store.folder_pages(OPEN)}
    for master in (result.path / "data" / "masters").iterdir():
        master.write_bytes(b"overwritten")
    assert {path: Path(path).read_bytes() for path in kept} == kept


def test_export_refuses_folders_with_unconfirmed_documents(
    room: dict[str, Any], tmp_path: Path
) -> None:
    store = room["store"]
    document = store.documents_of_folder(OPEN)[0]
    assert document.id is not None
    store.change_document(document.id, None, state="unconfirmed")
    try:
        with pytest.raises(ConflictError, match=r"P9/01/01\.1 \("):
            _export(room, "bagit", tmp_path)
    finally:
        store.change_document(document.id, None, state="confirmed")


def test_documents_travel_at_item_level(room: dict[str, Any], tmp_path: Path) -> None:
    """Each văn bản leaves as its own PDF/A named by archival code beside the folder's,
    described in metadata.json and METS (DC, logical map, PREMIS extraction and correction)."""
    import pikepdf
    from lxml import etree

    from station.pipeline import pdfa

    (result,) = _export(room, "bagit", tmp_path)
    data = result.path / "data"
    store = room["store"]
    documents = store.documents_of_folder(OPEN)
    assert [d.sequence for d in documents] == [1, 2]
    for document in documents:
        made = data / f"P9-01-01.{document.sequence}.pdf"
        assert made.is_file(), f"{made.name} beside the folder's PDF"
        assert pdfa.validate_pdfa(made, "2b") == []
        with pikepdf.open(made) as opened:
            assert len(opened.pages) == 1
            with opened.open_metadata() as xmp:
                identifier = str(xmp.get("dc:identifier"))
                assert f"{OPEN}.{document.sequence}" in identifier
                if document.sequence == 1:
                    assert xmp.get("dc:title") == CORRECTED
            if document.sequence == 2:
                assert int(opened.pages[0].get("/Rotate", 0)) % 360 == 90, (
                    "as the reviewer turned it"
                )
    record = json.loads((data / "metadata.json").read_text(encoding="utf-8"))
    first, second = record["documents"]
    assert first["archival_code"] == {"vi": "Mã lưu trữ tài liệu", "value": f"{OPEN}.1"}
    assert first["summary"]["vi"] == "Trích yếu nội dung"
    assert first["summary"]["value"] == CORRECTED and first["summary"]["source"] == "reviewer"
    assert first["document_type"]["vi"] == "Tên loại văn bản"
    assert first["page_count"] == {**first["page_count"], "vi": "Số lượng trang", "value": 1}
    for key, name in (("access", "Chế độ sử dụng"), ("reliability", "Mức độ tin cậy"),
                      ("autograph", "Bút tích"), ("notes", "Ghi chú")):  # fmt: skip
        assert first[key]["vi"] == name
    assert first["files"]["pdf"] == "P9-01-01.1.pdf" and second["files"]["pages"] == [2]
    assert first["review"]["state"] == "confirmed"
    # METS: valid, a DC dmdSec per document, a logical map folder -> documents -> pages
    assert mets.validate_mets(data / "METS.xml") == []
    root = etree.parse(str(data / "METS.xml")).getroot()
    ns = {"mets": mets.METS_NS, "dc": mets.DC_NS, "premis": mets.PREMIS_NS}
    logical = root.find("mets:structMap[@TYPE='logical']", ns)
    assert logical is not None
    divs = logical.findall("mets:div/mets:div[@TYPE='document']", ns)
    assert [d.get("ORDER") for d in divs] == ["1", "2"]
    for div in divs:
        dmd = root.find(f"mets:dmdSec[@ID='{div.get('DMDID')}']", ns)
        assert dmd is not None and dmd.findtext(".//dc:title", namespaces=ns)
        pdf_id = div.find("mets:fptr", ns).get("FILEID")
        href = root.find(f".//mets:file[@ID='{pdf_id}']/mets:FLocat", ns)
        assert href is not None
        assert href.get(f"{{{mets.XLINK_NS}}}href") == f"P9-01-01.{div.get('ORDER')}.pdf"
        assert len(div.findall("mets:div[@TYPE='page']", ns)) == 1
    title = root.find("mets:dmdSec[@ID='dmd-d0001']", ns).findtext(".//dc:title", namespaces=ns)
    assert title == CORRECTED
    history = etree.tostring(root.find("mets:amdSec[@ID='amd-d0001']", ns), encoding="unicode")
    assert "metadata extraction" in history, "the reading of the fields, with its tool"
    assert "metadata modification" in history and CORRECTED in history, "the correction"
    assert "station-user:rev" in etree.tostring(root, encoding="unicode")


def test_transfer_describes_each_document_pdf(room: dict[str, Any], tmp_path: Path) -> None:
    (transfer,) = _export(room, "archivematica", tmp_path)
    with (transfer.path / "metadata" / "metadata.csv").open(encoding="utf-8") as handle:
        rows = {row["filename"]: row for row in csv.DictReader(handle)}
    row = rows["objects/P9-01-01.1.pdf"]
    assert row["dc.title"] == CORRECTED
    assert row["dc.identifier"].startswith(f"{OPEN}.1")
    assert OPEN in row["dcterms.isPartOf"] and row["pages"] == "1"
    assert "objects/P9-01-01.2.pdf" in rows
    sums = (transfer.path / "metadata" / "checksum.sha256").read_text(encoding="utf-8")
    assert "objects/P9-01-01.1.pdf" in sums and "objects/P9-01-01.2.pdf" in sums
    assert packages.verify(transfer.path) == []


def test_a_document_change_changes_the_package(room: dict[str, Any]) -> None:
    """The input digest covers the documents: a corrected field gives a new version."""
    store = room["store"]
    export = packages.gather(store, _user(store, "chief"), OPEN)
    documents = [
        packages.DocumentPart(
            part.document.model_copy(
                update={"fields": part.document.fields | {"summary": {"value": "khác"}}}
            ),
            part.positions,
            part.pdf_pages,
        )
        if part.sequence == 1
        else part
        for part in export.documents
    ]
    changed = packages._input_digest(export.folder, export.parts, documents)
    assert changed != export.digest
    assert packages._input_digest(export.folder, export.parts, export.documents) == export.digest
