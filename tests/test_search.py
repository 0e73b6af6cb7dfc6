"""Search (issue 14): Vietnamese with and without diacritics, phrases, ids and document
numbers, filters, rescans, edits, and secrecy inside the query; SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from station.errors import BadArgumentError
from station.manifest import ManifestFolder
from station.search import SearchRequest
from station.settings import StationSettings
from station.store import NewDocument, Store

TEXT_1 = (
    "ĐẢNG CỘNG SẢN VIỆT NAM\nSố 589-QĐ/VPTW\nQUYẾT ĐỊNH về việc chỉnh lý tài liệu "
    "lưu trữ năm 2019 của Văn phòng Trung ương"
)
TEXT_2 = "Báo cáo tình hình chinh phục thị trường; chính lý do đó, tổng kết công tác"
TEXT_3 = "Kế hoạch bảo vệ bí mật nhà nước: danh mục tài liệu mật, chỉnh lý hồ sơ"


def _folder(n: int, title: str, secrecy: str = "", box: str = "1") -> ManifestFolder:
    return ManifestFolder(
        folder_id=f"05/01/HS-00{n}", fonds_code="05", catalogue_no="01", box_no=box,
        folder_no=str(n), title=title, start_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2019, 12, 31), retention_years=None, access="",
        sheet_count=2, language="vi", notes="", physical_condition="", secrecy=secrecy,
        source_row=n + 1,
    )  # fmt: skip


def _page(store: Store, batch_id: int, folder_id: str, text: str, seq: int) -> int:
    page_id = store.add_page(
        batch_id, seq=seq, source_file=f"{seq}.tif", page_index=0,
        sha256=f"{seq:064x}", master_path=Path(f"/m/{seq}.tif"),
    )  # fmt: skip
    store.record_page_result(
        page_id, {"state": "ok", "folder_id": folder_id, "search_text": text}, [],
        sha256=f"{seq:064x}",
    )  # fmt: skip
    return page_id


@pytest.fixture
def store(settings: StationSettings) -> Store:
    from tests.conftest import current_database_url

    st = Store.open(current_database_url(settings))
    st.import_folders(
        [
            _folder(1, "Hồ sơ chỉnh lý tài liệu năm 2019"),
            _folder(2, "Báo cáo tổng kết công tác"),
            _folder(3, "Kế hoạch bảo vệ bí mật nhà nước", secrecy="Mật", box="2"),
        ],
        Path("manifest.csv"),
    )
    batch = st.create_batch("b1", Path("/m"), "text-gray-300", None)
    st.info = {  # type: ignore[attr-defined]
        "p1": _page(st, batch, "05/01/HS-001", TEXT_1, 1),
        "p2": _page(st, batch, "05/01/HS-002", TEXT_2, 2),
        "p3": _page(st, batch, "05/01/HS-003", TEXT_3, 3),
        "batch": batch,
    }
    return st


def find(store: Store, text: str, clearance: str = "", **filters: Any) -> list[tuple[str, Any]]:
    results = store.search(SearchRequest(text, clearance=clearance, **filters))
    return [(h.kind, h.id) for h in results.hits]


def test_without_diacritics_finds_the_page_and_exact_marks_rank_first(store: Store) -> None:
    p1, p2 = store.info["p1"], store.info["p2"]  # type: ignore[attr-defined]
    hits = store.search(SearchRequest("chinh ly")).hits
    kinds = {(h.kind, h.id) for h in hits}
    assert ("page", p1) in kinds and ("page", p2) in kinds  # "chinh phục", "chính lý"
    assert ("folder", "05/01/HS-001") in kinds
    exact = store.search(SearchRequest("chỉnh lý")).hits
    # "chỉnh lý" as written comes before "chinh phục ... chính lý"
    order = [h.id for h in exact if h.kind == "page"]
    assert order.index(p1) < order.index(p2)
    assert "<mark>chỉnh</mark> <mark>lý</mark>" in next(h.snippet for h in exact if h.id == p1)
    assert find(store, "DANG CONG SAN") == [("page", p1)]  # đ typed as d


def test_phrases_ids_and_document_numbers(store: Store) -> None:
    p1 = store.info["p1"]  # type: ignore[attr-defined]
    assert ("page", p1) in find(store, '"chỉnh lý tài liệu"')
    assert find(store, '"tài liệu chỉnh lý"') == []  # a phrase keeps its order
    for typed in ("589-QĐ/VPTW", "589 QĐ VPTW", "Số 589-QĐ/VPTW", "so 589-qd/vptw"):
        assert find(store, typed) == [("page", p1)], typed
    assert {("folder", "05/01/HS-001"), ("folder", "05/01/HS-002")} <= set(
        find(store, "05/01/HS-00*")
    )
    assert ("folder", "05/01/HS-002") in find(store, "HS-002")
    assert find(store, "HS-00") != []  # an id's start


def test_filters_by_box_and_fonds(store: Store) -> None:
    assert {k for k, _ in find(store, "tai lieu", clearance="Mật", box="2")} <= {"page", "folder"}
    assert all(
        h.folder_id == "05/01/HS-003"
        for h in store.search(SearchRequest("tai lieu", clearance="Mật", box="2")).hits
    )
    assert find(store, "tai lieu", fonds="99") == []


def test_filters_follow_a_page_into_its_folder_and_a_folder_into_another_box(
    store: Store,
) -> None:
    """Fonds and box are words in the index (facets): kept in step when a page is placed in
    a folder after its text was recorded, and when the manifest moves a folder."""
    from sqlmodel import select

    from station.store.models import SearchEntry

    batch = store.info["batch"]  # type: ignore[attr-defined]
    loose = store.add_page(
        batch, seq=40, source_file="40.tif", page_index=0, sha256=f"{40:064x}",
        master_path=Path("/m/40.tif"),
    )  # fmt: skip
    store.record_page_result(
        loose, {"state": "ok", "search_text": "biên bản giao nhận"}, [], sha256=f"{40:064x}"
    )
    assert find(store, "bien ban") == [("page", loose)]
    assert find(store, "bien ban", box="1") == []  # not in a folder yet
    store.place_pages("05/01/HS-002", [loose], "text-gray-300")
    assert find(store, "bien ban", box="1", fonds="05") == [("page", loose)]
    moved = _folder(2, "Báo cáo tổng kết công tác", box="7")
    store.import_folders([moved], Path("manifest-2.csv"))
    assert find(store, "bien ban", box="1") == []
    assert find(store, "bien ban", box="7") == [("page", loose)]
    assert set(find(store, "cong tac", box="7")) == {
        ("page", store.info["p2"]),
        ("folder", "05/01/HS-002"),
    }  # type: ignore[attr-defined]
    with store.session() as s:
        entries = {e.ref: e for e in s.exec(select(SearchEntry))}
    assert entries[str(loose)].folder_id == "05/01/HS-002"
    assert entries[str(loose)].folded.endswith("qqfonds05 qqbox7")
    before = {ref: e.folded for ref, e in entries.items() if e.kind == "folder"}
    store.reindex_search()  # (these pages have no text files to index again)
    with store.session() as s:
        again = {e.ref: e.folded for e in s.exec(select(SearchEntry)) if e.kind == "folder"}
    assert again == before and before["05/01/HS-002"].endswith("qqfonds05 qqbox7")


def test_a_search_index_from_before_facets_gains_them_on_upgrade(
    settings: StationSettings,
) -> None:
    """Migration 0012 refiles what 0011 indexed: each page's folder and its facet words."""
    import sqlalchemy as sa
    from sqlmodel import select

    from station.search.query import index_words
    from station.store.models import SearchEntry
    from station.store.search_index import entry_words
    from tests.conftest import current_database_url

    url = current_database_url(settings)
    st = Store.open(url)
    st.import_folders([_folder(1, "Hồ sơ", box="3")], Path("manifest.csv"))
    page = _page(st, st.create_batch("b1", Path("/m"), "text-gray-300", None), "", TEXT_2, 1)
    st.place_pages("05/01/HS-001", [page], "text-gray-300")
    with st.engine.begin() as connection:  # the index as 0011 left it: words, no facets
        connection.execute(
            sa.text("update search_entry set folder_id = '', folded = :f where kind = 'page'"),
            {"f": index_words(TEXT_2)[0]},
        )
        connection.execute(sa.text("drop index ix_search_entry_folder_id"))
        connection.execute(sa.text('alter table "user" drop column language'))  # 0013's
        connection.execute(sa.text("update alembic_version set version_num = '0011'"))
    st.engine.dispose()
    assert find(st, "bao cao", box="3") == []
    upgraded = Store.open(url)
    assert find(upgraded, "bao cao", box="3") == [("page", page)]
    assert find(upgraded, "bao cao", box="4") == []
    with upgraded.session() as s:
        entry = s.exec(select(SearchEntry).where(SearchEntry.kind == "page")).one()
    assert (entry.folder_id, entry.folded) == (
        "05/01/HS-001",
        entry_words(TEXT_2, "qqfonds05 qqbox3")[0],
    )


def test_a_common_word_is_counted_and_ranked_within_a_window_and_pages_go_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past RANK_WINDOW matches the total says "more than", and later pages of results go on
    newest first without repeating or losing an entry."""
    import station.store.search as search_store

    batch = store.info["batch"]  # type: ignore[attr-defined]
    added = [
        _page(store, batch, "05/01/HS-002", f"công văn số {n} về công tác lưu trữ", 10 + n)
        for n in range(7)
    ]
    assert store.search(SearchRequest("cong tac")).total_is_exact  # 8 matches: counted whole
    monkeypatch.setattr(search_store, "RANK_WINDOW", 3)
    first = store.search(SearchRequest("cong tac", limit=2))
    assert (first.total, first.total_is_exact) == (3, False)
    assert first.to_json()["total_relation"] == "gte" and first.total_text == "more than 3"
    seen = [(h.kind, h.id) for h in first.hits]
    for offset in range(2, 12, 2):
        page = store.search(SearchRequest("cong tac", limit=2, offset=offset)).hits
        seen += [(h.kind, h.id) for h in page]
    p2 = store.info["p2"]  # type: ignore[attr-defined]
    everything = [*(("page", p) for p in [*added, p2]), ("folder", "05/01/HS-002")]
    assert sorted(seen, key=str) == sorted(everything, key=str)  # each once, none lost
    assert {i for _, i in seen[:3]} == set(added[-3:])  # the window: the newest three
    assert seen[3:] == [("page", p) for p in reversed(added[:-3])] + [
        ("page", p2),
        ("folder", "05/01/HS-002"),
    ]  # past the window: newest first


def test_matches_a_user_may_not_see_are_passed_over_in_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine hands matches over newest first, a batch at a time; thirty newer pages of
    a Mật folder do not hide the older one an uncleared reviewer may see."""
    import station.store.search as search_store

    batch = store.info["batch"]  # type: ignore[attr-defined]
    visible = _page(store, batch, "05/01/HS-002", "biên bản họp chi bộ", 50)
    for n in range(30):
        _page(store, batch, "05/01/HS-003", f"biên bản họp số {n}", 60 + n)
    monkeypatch.setattr(search_store, "RANK_WINDOW", 1)  # batches of 10, then 40
    found = store.search(SearchRequest("bien ban"))
    assert [(h.kind, h.id) for h in found.hits] == [("page", visible)]
    assert (found.total, found.total_is_exact) == (1, True)
    cleared = store.search(SearchRequest("bien ban", clearance="Mật"))
    assert (cleared.total, cleared.total_is_exact) == (1, False)


def test_secrecy_hides_results_and_counts(store: Store) -> None:
    p3 = store.info["p3"]  # type: ignore[attr-defined]
    uncleared = store.search(SearchRequest("bi mat nha nuoc"))
    assert uncleared.total == 0 and uncleared.hits == []
    cleared = store.search(SearchRequest("bi mat nha nuoc", clearance="Mật"))
    assert ("page", p3) in [(h.kind, h.id) for h in cleared.hits] and cleared.total == 2
    # a page marked later, in an unclassified folder, drops out at once
    p2 = store.info["p2"]  # type: ignore[attr-defined]
    store.update_page(p2, secrecy="Tối mật")
    assert find(store, "chinh phuc") == []
    assert find(store, "chinh phuc", clearance="Tối mật") == [("page", p2)]


def test_a_rescan_replaces_the_text_and_an_edit_is_searchable_at_once(store: Store) -> None:
    p1 = store.info["p1"]  # type: ignore[attr-defined]
    store.record_page_result(
        p1, {"state": "ok", "search_text": "văn bản quét lại rõ nét"}, [], again=True
    )
    assert find(store, "589-QĐ/VPTW") == []
    assert find(store, "quet lai") == [("page", p1)]
    replacement = _page(store, store.info["batch"], "05/01/HS-001", "bản thay thế", 9)  # type: ignore[attr-defined]
    store.update_page(p1, replaced_by=replacement)
    assert find(store, "quet lai") == []
    store.update_folder("05/01/HS-002", title="Tổng kết phong trào thi đua")
    assert ("folder", "05/01/HS-002") in find(store, "thi dua")
    assert ("folder", "05/01/HS-002") not in find(store, "bao cao")


def test_documents_are_found_by_their_fields(store: Store) -> None:
    folder = "05/01/HS-001"
    store.replace_documents(
        folder,
        [
            NewDocument(
                sequence=1,
                page_ids=[store.info["p1"]],  # type: ignore[attr-defined]
                fields={
                    "document_type": {"value": "Quyết định", "confidence": 0.9},
                    "number_symbol": {"value": "589-QĐ/VPTW", "confidence": 0.9},
                    "summary": {"value": "Về việc chỉnh lý tài liệu", "confidence": 0.9},
                    "issued_date": {"value": "2019-05-02", "confidence": 0.9},
                },
            )
        ],
        [],
    )
    hits = store.search(SearchRequest("589 QĐ VPTW")).hits
    document = next(h for h in hits if h.kind == "document")
    assert document.document == f"{folder}.1" and document.title == "Về việc chỉnh lý tài liệu"
    assert document.page_id == store.info["p1"]  # type: ignore[attr-defined]
    assert find(store, "589 QD", document_type="Quyết định")
    assert not [k for k, _ in find(store, "589 QD", document_type="Công văn") if k == "document"]
    assert [k for k, _ in find(store, "589 QD", date_from=datetime.date(2019, 5, 1))]
    assert not [
        k for k, _ in find(store, "589 QD", date_to=datetime.date(2019, 4, 1)) if k == "document"
    ]


def test_queries_with_no_words_are_a_clear_error_and_syntax_is_text(store: Store) -> None:
    with pytest.raises(BadArgumentError, match="at least one word"):
        store.search(SearchRequest('"" -/*'))
    assert find(store, 'chinh AND OR NEAR( "ly') is not None  # FTS syntax is just words


def test_reindex_rebuilds_from_the_tables_and_text_files(store: Store, tmp_path: Path) -> None:
    p2 = store.info["p2"]  # type: ignore[attr-defined]
    text_file = tmp_path / "page.txt"
    text_file.write_text("phông lưu trữ tỉnh", encoding="utf-8")
    store.update_page(p2, derivatives={"text": str(text_file)})
    count = store.reindex_search()
    assert count >= 3 + 1
    assert find(store, "phong luu tru") == [("page", p2)]
    assert ("folder", "05/01/HS-002") in find(store, "tong ket")


def test_the_command_line(store: Store, run_station: Any) -> None:
    result = run_station("search", "589 QĐ VPTW", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["total"] >= 1 and found["results"][0]["kind"] == "page"
    result = run_station("search", "--reindex")
    assert result.exit_code == 0 and "Indexed" in result.stdout
    result = run_station("search", "tai lieu", "--limit", "1", "--json")
    assert len(json.loads(result.stdout)["results"]) == 1


def test_the_api_answers_with_the_users_clearance(review_room: Any) -> None:
    from tests.conftest import logged_in

    store = review_room.store
    secret_page = review_room.pages["05/01/HS-003"][0]
    open_page = review_room.pages["05/01/HS-001"][0]
    for page_id, words in ((secret_page, "kế hoạch phòng thủ"), (open_page, "kế hoạch năm")):
        store.record_page_result(page_id, {"state": "ok", "search_text": words}, [], again=True)
    reviewer = logged_in(review_room, "rev1")
    found = reviewer.get("/api/search", params={"q": "ke hoach"}).json()
    assert [(r["kind"], r["page_id"]) for r in found["results"]] == [("page", open_page)]
    assert found["total"] == 1 and "phòng thủ" not in json.dumps(found, ensure_ascii=False)
    cleared = logged_in(review_room, "secret").get("/api/search", params={"q": "ke hoach"})
    assert cleared.json()["total"] == 3  # both pages and the secret folder's title
    bad = reviewer.get("/api/search", params={"q": "ke", "from": "2019-13-01"})
    assert bad.status_code == 422
    empty = reviewer.get("/api/search", params={"q": "-/*"})
    assert empty.status_code in (400, 422) and "word" in empty.json()["detail"]
    assert reviewer.get("/api/search", params={"q": "ke", "box": "2"}).json()["total"] == 0


def test_a_processed_page_is_searchable_at_once(
    run_station: Any, batch_copy: Path, tmp_path: Path, settings: StationSettings
) -> None:
    from station.search.query import words
    from tests.conftest import current_database_url

    result = run_station("process", str(batch_copy), "--out", str(tmp_path / "out"))
    assert result.exit_code in (0, 1), result.stderr  # the batch holds broken files on purpose
    store = Store.open(current_database_url(settings))
    pages = [p for p, _ in store.list_pages()]
    page = next(p for p in pages if p.state == "ok" and p.derivatives.get("text"))
    said = Path(page.derivatives["text"]).read_text(encoding="utf-8")
    word = max((w for w in words(said) if w.isalpha()), key=len)
    hits = store.search(SearchRequest(word, clearance="Tuyệt mật", limit=200)).hits
    assert page.id in [h.page_id for h in hits if h.kind == "page"], word
