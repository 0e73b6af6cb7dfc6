"""Reviewing documents (văn bản): the rules (station.review.documents, the approval check in
station.review.rules) and the JSON API over them, on a review room whose folder HS-001 holds
three documents made from real government first pages (the public corpus): a decision with
a handwritten number and date (read unsure), a công văn read with confidence, and a decision
stamped MẬT, found secret before anyone looked."""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, PASSWORD, ReviewRoom
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont

from qa.app import create_app
from qa.security import CSRF_HEADER
from station import auth
from station.documents.model import FieldReading, PageReading, SuspectWord
from station.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from station.review import documents, rules
from station.store import Document, Event, NewDocument, Page, Store, User

HS1, HS2 = "05/01/HS-001", "05/01/HS-002"
REAL = CORPUS / "vietnamese-nomvn"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
DESCRIBE = importlib.util.find_spec("station.documents.describe") is not None


# --- the room: HS-001's six pages as three documents --------------------------------------------


@dataclass
class Docs:
    """The documents of HS-001 (by sequence) and its pages (by position, from 1)."""

    room: ReviewRoom
    store: Store
    ids: dict[int, int]  # sequence -> document id
    pages: dict[int, int]  # position -> page id

    def user(self, name: str) -> User:
        found = self.store.get_user(name)
        assert found is not None
        return found

    def document(self, sequence: int) -> Document:
        found = self.store.get_document(self.ids[sequence])
        assert found is not None
        return found

    def page(self, position: int) -> Page:
        found = self.store.get_page(self.pages[position])
        assert found is not None
        return found

    @property
    def folder(self) -> int:
        return self.room.folders[HS1]


def field(value: Any, confidence: float, box: tuple[int, int, int, int] | None = None,
          page: int | None = None, source: str = "ocr") -> dict[str, Any]:  # fmt: skip
    return FieldReading(value, confidence, box, page, source).to_json()


def add_documents(room: ReviewRoom) -> Docs:
    """Real first pages (qd_707, cv_3722, qd_729 with a red MẬT stamp added) as the cleaned
    images of pages 1, 3 and 5, drawn continuation pages with the signature blocks as pages
    2, 4 and 6, and the documents as the splitter and describer record them."""
    store = room.store
    assert isinstance(store, Store)
    store.add_user("keeper", role="archivist", clearance="Mật",
                   password_hash=auth.hash_password(PASSWORD))  # fmt: skip
    pages = dict(enumerate(room.pages[HS1], start=1))
    images = {
        1: Image.open(REAL / "real_qd_707_ttg_p1.png").convert("L"),
        2: continuation(2, "KT. THỦ TƯỚNG\nPHÓ THỦ TƯỚNG", "Hồ Đức Phớc"),
        3: Image.open(REAL / "real_cv_3722_metro_p1.png").convert("L"),
        4: continuation(2, "KT. BỘ TRƯỞNG, CHỦ NHIỆM\nPHÓ CHỦ NHIỆM", "Phạm Mạnh Cường"),
        5: stamped(Image.open(REAL / "real_qd_729_ttg_p1.png").convert("RGB")),
        6: continuation(2, "THỦ TƯỚNG", "Phạm Minh Chính"),
    }
    for position, picture in images.items():
        page = store.get_page(pages[position])
        assert page is not None
        work = Path(page.derivatives["preview"]).parent
        picture.save(work / "page.png")
        preview = picture.copy()
        preview.thumbnail((620, 877))
        preview.convert("RGB").save(work / "preview.jpg")
        preview.thumbnail((160, 226))
        preview.convert("RGB").save(work / "thumbnail.jpg")
        reading = PageReading(
            starts_document=0.95 if position % 2 else 0.05,
            page_number=None if position % 2 else 2,
            layout="state" if position % 2 else "",
            suspect_words=(SuspectWord("sô", (407, 322, 470, 362)),) if position == 1 else (),
        )
        store.update_page(
            page.id,
            width_px=picture.width,
            height_px=picture.height,
            derivatives=page.derivatives | {"image": str(work / "page.png")},
            reading=reading.to_json(),
        )
    p = pages
    first = {
        "document_type": field("QUYẾT ĐỊNH", 0.97, (779, 511, 1028, 552), p[1]),
        "number": field("707", 0.41, (407, 322, 688, 362), p[1]),  # handwritten
        "symbol": field("QĐ-TTg", 0.93, (407, 322, 688, 362), p[1]),
        "number_symbol": field("707/QĐ-TTg", 0.41, (407, 322, 688, 362), p[1]),
        "issued_date": field("2026-04-22", 0.52, (905, 326, 1458, 371), p[1]),  # handwritten
        "place": field("Hà Nội", 0.95, (905, 326, 1458, 371), p[1]),
        "issuing_body": field("THỦ TƯỚNG CHÍNH PHỦ", 0.96, (322, 181, 764, 226), p[1]),
        "summary": field(
            "Về việc ban hành Kế hoạch hành động quốc gia về phòng, chống rửa tiền, tài trợ "
            "khủng bố và tài trợ phổ biến vũ khí hủy diệt hàng loạt giai đoạn 2026 - 2030",
            0.9, (281, 552, 1593, 751), p[1],
        ),
        "signer_title": field("KT. THỦ TƯỚNG PHÓ THỦ TƯỚNG", 0.9, (900, 300, 1500, 420), p[2]),
        "signer_name": field("Hồ Đức Phớc", 0.92, (900, 640, 1500, 700), p[2]),
        "recipients": field(["Như Điều 3", "Lưu: VT, KTTH"], 0.88, (150, 300, 700, 420), p[2]),
        "secrecy": field(None, 0.0),
        "urgency": field(None, 0.0),
        "language": field("vi", 1.0, source="derived"),
        "page_count": field(2, 1.0, source="derived"),
    }  # fmt: skip
    second = {
        "document_type": field("CÔNG VĂN", 0.95, (172, 370, 690, 551), p[3], "derived"),
        "number": field("3722", 0.94, (267, 322, 593, 365), p[3]),
        "symbol": field("VPCP-CN", 0.95, (267, 322, 593, 365), p[3]),
        "number_symbol": field("3722/VPCP-CN", 0.94, (267, 322, 593, 365), p[3]),
        "issued_date": field("2026-04-28", 0.93, (835, 316, 1391, 361), p[3]),
        "place": field("Hà Nội", 0.96, (835, 316, 1391, 361), p[3]),
        "issuing_body": field("VĂN PHÒNG CHÍNH PHỦ", 0.97, (208, 190, 647, 231), p[3]),
        "summary": field(
            "V/v cơ chế đặc thù xây dựng công trình khẩn cấp đối với Dự án kéo dài tuyến "
            "Metro Bến Thành - Suối Tiên", 0.9, (172, 370, 690, 551), p[3],
        ),
        "signer_title": field("KT. BỘ TRƯỞNG, CHỦ NHIỆM PHÓ CHỦ NHIỆM", 0.9,
                              (900, 300, 1500, 420), p[4]),
        "signer_name": field("Phạm Mạnh Cường", 0.92, (900, 640, 1500, 700), p[4]),
        "recipients": field(["Như trên", "Lưu: VT, CN"], 0.9, (150, 300, 700, 420), p[4]),
        "secrecy": field(None, 0.0),
        "urgency": field("Hỏa tốc", 0.9, (45, 575, 298, 786), p[3], "stamp"),
        "language": field("vi", 1.0, source="derived"),
        "page_count": field(2, 1.0, source="derived"),
    }  # fmt: skip
    third = second | {
        "document_type": field("QUYẾT ĐỊNH", 0.96, (779, 511, 1028, 552), p[5]),
        "number_symbol": field("729/QĐ-TTg", 0.9, (407, 322, 688, 362), p[5]),
        "summary": field("Về việc phê duyệt kế hoạch bảo vệ bí mật nhà nước", 0.9,
                         (281, 552, 1593, 751), p[5]),
        "number": field("729", 0.9, (407, 322, 688, 362), p[5]),
        "symbol": field("QĐ-TTg", 0.93, (407, 322, 688, 362), p[5]),
        "issued_date": field("2026-04-23", 0.9, (905, 326, 1458, 371), p[5]),
        "place": field("Hà Nội", 0.95, (905, 326, 1458, 371), p[5]),
        "issuing_body": field("THỦ TƯỚNG CHÍNH PHỦ", 0.96, (322, 181, 764, 226), p[5]),
        "signer_title": field("THỦ TƯỚNG", 0.9, (900, 300, 1500, 420), p[6]),
        "signer_name": field("Phạm Minh Chính", 0.92, (900, 640, 1500, 700), p[6]),
        "recipients": field(["Như Điều 3", "Lưu: VT"], 0.9, (150, 300, 700, 420), p[6]),
        "secrecy": field("Mật", 0.9, (1150, 60, 1450, 190), p[5], "stamp"),
        "urgency": field(None, 0.0),
    }  # fmt: skip
    made = store.replace_documents(
        HS1,
        [
            NewDocument(1, [p[1], p[2]], first),
            NewDocument(2, [p[3], p[4]], second),
            NewDocument(3, [p[5], p[6]], third, secrecy="Mật"),  # the stamp, found as read
        ],
        [],
    )
    ids = {d.sequence: d.id for d in made if d.id is not None}
    store.add_events(  # as station.room.folder_documents records what it found
        [
            Event(folder_id=HS1, document_id=ids[n], stage="extract_documents", outcome="ok",
                  detail={"sequence": n, "secrecy": level, "fields": {"summary": summary}})
            for n, level, summary in ((1, "", "Về việc ban hành"),
                                      (3, "Mật", "Về việc phê duyệt kế hoạch bảo vệ bí mật"))
        ]
    )  # fmt: skip
    return Docs(room, store, ids, pages)


def continuation(number: int, title: str, name: str) -> Image.Image:
    """A second page: its printed number, closing text, "Nơi nhận" and the signature."""
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font, bold = ImageFont.truetype(str(FONT), 34), ImageFont.truetype(str(BOLD), 34)
    draw.text((810, 90), str(number), font=font, fill=0)
    draw.text((150, 170), "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.", font=font, fill=0)
    draw.text((150, 300), "Nơi nhận:", font=bold, fill=0)
    draw.text((150, 350), "- Như Điều 3;\n- Lưu: VT.", font=font, fill=0)
    draw.multiline_text((900, 300), title, font=bold, fill=0, align="center")
    draw.text((950, 640), name, font=bold, fill=0)
    return page


def stamped(page: Image.Image) -> Image.Image:
    """A red MẬT stamp in a frame, top right, as the office of origin stamps it."""
    draw = ImageDraw.Draw(page)
    draw.rectangle((1150, 60, 1450, 190), outline=(200, 20, 30), width=8)
    draw.text((1190, 75), "MẬT", font=ImageFont.truetype(str(BOLD), 90), fill=(200, 20, 30))
    return page


@pytest.fixture
def docs(review_room: ReviewRoom) -> Docs:
    return add_documents(review_room)


def document_events(docs: Docs, sequence: int | None = None) -> list[Event]:
    events = [e for e in docs.store.events_of_folder(HS1) if e.stage == "document"]
    if sequence is None:
        return events
    return [e for e in events if e.document_id == docs.ids[sequence]]


def decide_pages(docs: Docs, folder_id: str = HS1, username: str = "secret") -> None:
    for page_id in docs.room.pages[folder_id]:
        rules.decide(docs.store, docs.user(username), page_id, "approve")


# --- who sees which document ------------------------------------------------------------------


def test_a_stamped_document_and_its_pages_exist_only_for_the_cleared(docs: Docs) -> None:
    rev2, secret = docs.user("rev2"), docs.user("secret")
    _, seen = documents.folder_documents(docs.store, rev2, docs.folder)
    assert [d.sequence for d, _ in seen] == [1, 2]
    _, seen = documents.folder_documents(docs.store, secret, docs.folder)
    assert [d.sequence for d, _ in seen] == [1, 2, 3]
    assert [p.id for p in seen[2][1]] == [docs.pages[5], docs.pages[6]]
    assert [docs.page(n).secrecy for n in range(1, 7)] == ["", "", "", "", "Mật", "Mật"]
    for call in (
        lambda: documents.get_document(docs.store, rev2, docs.ids[3]),
        lambda: documents.history(docs.store, rev2, docs.ids[3]),
        lambda: documents.field_region(docs.store, rev2, docs.ids[3], "summary"),
        lambda: documents.edit_fields(docs.store, rev2, docs.ids[3], {"summary": "x"}),
        lambda: documents.confirm(docs.store, rev2, docs.ids[3]),
        lambda: documents.change_secrecy(docs.store, rev2, docs.ids[3], "", "false alarm"),
        lambda: rules.find_page(docs.store, rev2, docs.pages[5]),
    ):
        with pytest.raises(NotFoundError, match=r"^No (document|page) \d+$"):
            call()
    with pytest.raises(NotFoundError, match=f"^No document {10**6}$"):
        documents.get_document(docs.store, secret, 10**6)
    # its history: the machine's reading of it is not in the folder's, for rev2
    folder = docs.store.get_folder(HS1)
    assert folder is not None
    events = docs.store.events_of_folder(HS1)
    shown = rules.visible_events(docs.store, rev2, folder, events)
    assert docs.ids[3] not in {e.document_id for e in shown}
    assert docs.ids[1] in {e.document_id for e in shown}
    assert docs.ids[3] in {e.document_id for e in rules.visible_events(docs.store, secret,
                                                                       folder, events)}  # fmt: skip


def test_a_page_marked_above_clearance_hides_its_whole_document(docs: Docs) -> None:
    """Its fields would tell what the page says: the document goes with it."""
    rules.mark_secrecy(docs.store, docs.user("secret"), docs.pages[2], "Tối mật")
    _, seen = documents.folder_documents(docs.store, docs.user("rev2"), docs.folder)
    assert [d.sequence for d, _ in seen] == [2]
    with pytest.raises(NotFoundError):
        documents.get_document(docs.store, docs.user("rev2"), docs.ids[1])


# --- editing fields -----------------------------------------------------------------------------


def test_an_edit_is_checked_recorded_and_the_reviewers(docs: Docs) -> None:
    rev2 = docs.user("rev2")
    decomposed = unicodedata.normalize("NFD", "  Hà   Nội ")
    edited = documents.edit_fields(
        docs.store, rev2, docs.ids[1],
        {"issued_date": "22/04/2026", "number": " 707 ", "place": decomposed,
         "document_type": "quyết định", "urgency": "hoả tốc",
         "recipients": "Như Điều 3;  Lưu: VT, KTTH ;"},
    )  # fmt: skip
    assert edited.edited and edited.state == "unconfirmed"
    values = {name: edited.fields[name]["value"] for name in edited.fields}
    assert values["issued_date"] == "2026-04-22"
    assert values["number"] == "707"
    assert values["place"] == "Hà Nội" and unicodedata.is_normalized("NFC", values["place"])
    assert values["document_type"] == "QUYẾT ĐỊNH"
    assert values["urgency"] == "Hỏa tốc"
    assert values["recipients"] == ["Như Điều 3", "Lưu: VT, KTTH"]
    date = edited.fields["issued_date"]
    assert (date["source"], date["confidence"]) == ("reviewer", 1.0)
    assert date["box"] == [905, 326, 1458, 371] and date["page_id"] == docs.pages[1]  # kept
    assert edited.fields["summary"]["source"] == "ocr"  # untouched
    (event,) = document_events(docs, 1)
    assert (event.agent, event.stage, event.folder_id) == ("rev2", "document", HS1)
    assert event.detail["action"] == "edit_document"
    assert event.detail["before"]["issued_date"] == "2026-04-22"
    assert event.detail["before"]["urgency"] is None
    assert event.detail["after"]["urgency"] == "Hỏa tốc"
    # a field the reviewer set needs no confirmation any more
    assert "issued_date" not in documents.records.needs_confirmation(edited, 0.85)
    assert documents.records.needs_confirmation(edited, 0.85) == ["number_symbol"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_date": "31/02/2026"}, r"^issued_date: not a real date \('31/02/2026'"),
        ({"issued_date": "22.4.26"}, r"^issued_date: not a date"),
        ({"issued_date": "April 22"}, r"^issued_date: not a date"),
        ({"number": "707/QĐ"}, r"^number: digits only"),
        ({"number": "٧٠٧"}, r"^number: digits only"),
        ({"page_count": 3}, r"^page_count: read-only"),
        ({"urgency": "rất khẩn"}, r"^urgency: one of 'Khẩn', 'Thượng khẩn', 'Hỏa tốc'"),
        ({"secrecy": "Bí mật"}, r"^secrecy: one of 'Mật', 'Tối mật', 'Tuyệt mật'"),
        ({"secrecy": "Mật"}, r"^secrecy: the document is not secret; a new level needs a reason"),
        ({"language": "tiếng Việt"}, r"^language: a language code"),
        ({"summary": "x" * 2001}, r"^summary: at most 2000 characters"),
        ({"summary": "a\x00b"}, r"^summary: contains control characters"),
        ({"summary": "a\ud800b"}, r"^summary: contains control characters"),
        ({"recipients": ["Như trên", "Lưu\udfff"]}, r"^recipients: contains control"),
        ({"signer": "Hồ Đức Phớc"}, r"^signer: not a document field"),
        ({"recipients": 12}, r"^recipients: a list of text"),
        ({}, r"^Nothing to change"),
        ({"issued_date": "x", "number": "y"}, r"^issued_date: .*; number: digits only"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    changes: dict[str, Any], message: str, docs: Docs
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        documents.edit_fields(docs.store, docs.user("rev2"), docs.ids[1], changes)
    assert document_events(docs) == [] and not docs.document(1).edited


def test_clearing_a_field_and_a_whole_number_stays_a_number(docs: Docs) -> None:
    docs.store.change_document(docs.ids[2], None, fields=docs.document(2).fields
                               | {"number": field(3722, 0.94)})  # fmt: skip
    edited = documents.edit_fields(
        docs.store, docs.user("rev2"), docs.ids[2], {"number": "3723", "place": "  "}
    )
    assert edited.fields["number"]["value"] == 3723
    assert edited.fields["place"]["value"] is None
    assert edited.fields["place"]["source"] == "reviewer"


def test_who_may_change_documents(docs: Docs) -> None:
    store = docs.store
    with pytest.raises(NotAllowedError, match="needs the reviewer role; 'op1' is operator"):
        documents.edit_fields(store, docs.user("op1"), docs.ids[1], {"place": "Hà Nội"})
    # four eyes: rev1 fed HS-002; its document is not theirs to decide
    hs2 = docs.room.pages[HS2]
    (other,) = store.replace_documents(HS2, [NewDocument(1, hs2, {})], [])
    assert other.id is not None
    for call in (
        lambda: documents.edit_fields(store, docs.user("rev1"), other.id, {"place": "Huế"}),
        lambda: documents.confirm(store, docs.user("rev1"), other.id),
        lambda: documents.split(store, docs.user("rev1"), docs.room.folders[HS2], hs2[1]),
    ):
        with pytest.raises(NotAllowedError, match="four eyes"):
            call()
    assert documents.confirm(store, docs.user("rev2"), other.id).state == "confirmed"
    # an approved folder is reopened first
    decide_pages(docs, HS2, "rev2")
    rules.approve_folder(store, docs.user("arch"), docs.room.folders[HS2])
    with pytest.raises(ConflictError, match="is approved; an archivist must reopen it first"):
        documents.edit_fields(store, docs.user("rev2"), other.id, {"place": "Huế"})


# --- confirming, and approval waiting for it ------------------------------------------------------


def test_approval_waits_for_the_unsure_fields_to_be_confirmed(docs: Docs) -> None:
    keeper, secret = docs.user("keeper"), docs.user("secret")
    decide_pages(docs)
    with pytest.raises(ConflictError) as refused:
        rules.approve_folder(docs.store, keeper, docs.folder)
    assert "1 document(s) with fields read below 85% confidence" in refused.value.message
    assert "văn bản 1 (number, number_symbol, issued_date)" in refused.value.message
    with pytest.raises(ConflictError, match="văn bản 1"):  # the CLI's way: nothing recorded
        rules.approve_all(docs.store, keeper, HS1)
    folder = docs.store.get_folder(HS1)
    assert folder is not None and folder.approved_at is None
    confirmed = documents.confirm(docs.store, secret, docs.ids[1])
    assert (confirmed.state, confirmed.confirmed_by) == ("confirmed", "secret")
    assert confirmed.confirmed_at is not None
    (event,) = document_events(docs, 1)
    assert event.detail["action"] == "confirm_document"
    assert event.detail["checked"] == ["number", "number_symbol", "issued_date"]
    assert documents.confirm(docs.store, secret, docs.ids[1]) is not None  # again: no change
    assert len(document_events(docs, 1)) == 1
    approved = rules.approve_folder(docs.store, keeper, docs.folder)
    assert approved.approved_by == "keeper"


def test_the_threshold_is_the_folder_profiles(docs: Docs, tmp_path: Path) -> None:
    """A profile asking less (0.4) lets the same folder through."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    source = docs.room.settings.profiles_dir / "text-gray-300.toml"
    text = source.read_text(encoding="utf-8")
    (profiles / "text-gray-300.toml").write_text(
        text + "\n[documents]\nconfidence_threshold = 0.4\n" if "[documents]" not in text
        else text.replace("[documents]", "[documents]\nconfidence_threshold = 0.4", 1),
        encoding="utf-8",
    )  # fmt: skip
    folder = docs.store.get_folder(HS1)
    assert folder is not None
    assert rules.document_threshold(folder, profiles) == 0.4
    assert rules.document_threshold(folder, docs.room.settings.profiles_dir) == 0.85
    decide_pages(docs)
    rules.approve_folder(docs.store, docs.user("keeper"), docs.folder, profiles_dir=profiles)


def test_confirm_the_confident_ones_at_once(docs: Docs) -> None:
    done = documents.confirm_confident(docs.store, docs.user("rev2"), docs.folder)
    assert [d.sequence for d in done] == [2]  # 1 is unsure, 3 is above rev2's clearance
    assert docs.document(2).state == "confirmed" and docs.document(1).state == "unconfirmed"
    assert docs.document(3).state == "unconfirmed"
    (event,) = document_events(docs)
    assert event.detail["action"] == "confirm_confident" and event.detail["threshold"] == 0.85
    done = documents.confirm_confident(docs.store, docs.user("secret"), docs.folder)
    assert [d.sequence for d in done] == [3]


# --- splitting and merging ------------------------------------------------------------------------


def test_split_at_a_page_then_merge_back(docs: Docs) -> None:
    rev2 = docs.user("rev2")
    with pytest.raises(ConflictError, match="already starts văn bản 1"):
        documents.split(docs.store, rev2, docs.folder, docs.pages[1])
    after = documents.split(docs.store, rev2, docs.folder, docs.pages[2])
    assert [d.sequence for d in after] == [1, 2, 3]  # rev2 does not see the Mật one (now 4)
    whole = docs.store.documents_of_folder(HS1)
    assert [d.sequence for d in whole] == [1, 2, 3, 4]
    assert [d.id for d in whole if d.id != after[1].id] == [docs.ids[1], docs.ids[2], docs.ids[3]]
    new = after[1]
    assert [p.id for p in docs.store.pages_of_document(docs.ids[1])] == [docs.pages[1]]
    assert [p.id for p in docs.store.pages_of_document(new.id or 0)] == [docs.pages[2]]
    assert new.fields["page_count"]["value"] == 1 and new.edited and new.state == "unconfirmed"
    if DESCRIBE:  # the describer reads the new document's fields from its page
        from station.documents import describe

        page = docs.page(2)
        expected = describe.describe_document(
            [(page.id, PageReading.from_json(page.reading))],
            folder_start=datetime.date(2019, 1, 1), folder_end=datetime.date(2019, 12, 31),
        )  # fmt: skip
        assert new.fields["summary"]["value"] == expected.fields["summary"].value
    else:  # without it, the fields wait for the reviewer, empty
        for name in ("document_type", "number_symbol", "issued_date", "summary"):
            assert new.fields[name]["value"] is None and new.fields[name]["confidence"] == 0.0
    earlier = docs.document(1)
    assert earlier.fields["page_count"]["value"] == 1
    assert earlier.fields["summary"]["value"].startswith("Về việc ban hành")  # from page 1
    # the signature block was read on page 2: it went with the page
    assert earlier.fields["signer_name"]["page_id"] != docs.pages[2]
    if not DESCRIBE:
        assert earlier.fields["signer_name"]["value"] is None
    assert new.fields["signer_name"]["value"] == "Hồ Đức Phớc"
    assert new.fields["signer_name"]["page_id"] == docs.pages[2]
    split_event, new_event = document_events(docs)
    assert split_event.detail["action"] == "split_document"
    assert split_event.document_id == docs.ids[1] and split_event.page_id == docs.pages[2]
    assert split_event.detail["before"]["pages"] == [docs.pages[1], docs.pages[2]]
    assert new_event.detail["action"] == "split_from" and new_event.document_id == new.id

    merged = documents.merge(docs.store, rev2, docs.folder, new.id or 0)
    assert [d.sequence for d in merged] == [1, 2]
    assert [d.sequence for d in docs.store.documents_of_folder(HS1)] == [1, 2, 3]
    assert docs.store.get_document(new.id or 0) is None
    earlier = docs.document(1)
    assert [p.id for p in docs.store.pages_of_document(docs.ids[1])] == [
        docs.pages[1], docs.pages[2]
    ]  # fmt: skip
    assert earlier.fields["page_count"]["value"] == 2
    assert earlier.fields["number"]["value"] == "707"  # the earlier one's fields kept
    assert earlier.fields["signer_name"]["value"] == "Hồ Đức Phớc"  # and its empty ones filled
    event = document_events(docs)[-1]
    assert event.detail["action"] == "merge_document"
    assert event.detail["after"]["merged"] == {"document_id": new.id, "sequence": 2}
    with pytest.raises(ConflictError, match="is the first document"):
        documents.merge(docs.store, rev2, docs.folder, docs.ids[1])
    with pytest.raises(NotFoundError):  # the Mật one is not rev2's to merge
        documents.merge(docs.store, rev2, docs.folder, docs.ids[3])


def test_merging_a_secret_document_makes_the_whole_secret(docs: Docs) -> None:
    secret = docs.user("secret")
    documents.merge(docs.store, secret, docs.folder, docs.ids[3])
    merged = docs.document(2)
    assert merged.secrecy == "Mật" and merged.fields["secrecy"]["value"] == "Mật"
    assert [docs.page(n).secrecy for n in (3, 4, 5, 6)] == ["Mật"] * 4
    _, seen = documents.folder_documents(docs.store, docs.user("rev2"), docs.folder)
    assert [d.sequence for d, _ in seen] == [1]
    # the merged-away document's history stays hidden (its level was recorded)
    folder = docs.store.get_folder(HS1)
    assert folder is not None
    shown = rules.visible_events(docs.store, docs.user("rev2"), folder,
                                 docs.store.events_of_folder(HS1))  # fmt: skip
    assert not {docs.ids[2], docs.ids[3]} & {e.document_id for e in shown}


def test_splitting_a_page_without_a_document_is_refused(docs: Docs) -> None:
    docs.store.update_page(docs.pages[4], document_id=None)
    with pytest.raises(ConflictError, match="belongs to no document"):
        documents.split(docs.store, docs.user("rev2"), docs.folder, docs.pages[4])
    with pytest.raises(InvalidInputError, match="is not in folder"):
        documents.split(docs.store, docs.user("rev2"), docs.folder, docs.room.pages[HS2][1])


# --- secrecy ---------------------------------------------------------------------------------


def test_a_cleared_reviewer_lowers_a_false_alarm_with_a_reason(docs: Docs) -> None:
    secret, rev2 = docs.user("secret"), docs.user("rev2")
    with pytest.raises(InvalidInputError, match=r"^reason: say why"):
        documents.change_secrecy(docs.store, secret, docs.ids[3], "", "   ")
    with pytest.raises(InvalidInputError, match=r"^reason: contains control characters"):
        documents.change_secrecy(docs.store, secret, docs.ids[3], "", "sai\ud800")
    with pytest.raises(ConflictError, match="already Mật"):
        documents.change_secrecy(docs.store, secret, docs.ids[3], "Mật", "again")
    with pytest.raises(NotAllowedError, match="may not mark a document 'Tuyệt mật'"):
        documents.change_secrecy(docs.store, secret, docs.ids[3], "Tuyệt mật", "raise")
    lowered = documents.change_secrecy(
        docs.store, secret, docs.ids[3], "", "MẬT là dấu lưu trữ, không phải độ mật"
    )
    assert lowered.secrecy == "" and lowered.fields["secrecy"]["value"] is None
    assert lowered.fields["secrecy"]["source"] == "reviewer"
    assert [docs.page(n).secrecy for n in (5, 6)] == ["", ""]
    (event,) = document_events(docs, 3)
    assert event.agent == "secret" and event.detail["action"] == "document_secrecy"
    assert event.detail["reason"] == "MẬT là dấu lưu trữ, không phải độ mật"
    assert (event.detail["before"], event.detail["after"]) == (
        {"secrecy": "Mật"}, {"secrecy": ""}
    )  # fmt: skip
    # now it is there for everyone, and so is its page
    assert documents.get_document(docs.store, rev2, docs.ids[3])[0].sequence == 3
    rules.find_page(docs.store, rev2, docs.pages[5])
    # raised again by someone cleared: gone again, pages too
    documents.change_secrecy(docs.store, secret, docs.ids[3], "Mật", "Có dấu MẬT ở trang 2")
    with pytest.raises(NotFoundError):
        rules.find_page(docs.store, rev2, docs.pages[6])
    with pytest.raises(InvalidInputError, match=r"^level: Unknown clearance"):
        documents.change_secrecy(docs.store, secret, docs.ids[3], "Bí mật", "x")


def test_lowering_is_four_eyes_raising_is_not(docs: Docs) -> None:
    store = docs.store
    store.add_user("rev3", role="reviewer", clearance="Mật",
                   password_hash=auth.hash_password(PASSWORD))  # fmt: skip
    hs2 = docs.room.pages[HS2]
    (other,) = store.replace_documents(HS2, [NewDocument(1, hs2, {})], [])
    assert other.id is not None
    rev1 = docs.user("rev1")
    with pytest.raises(NotAllowedError, match="may not mark a document 'Mật'"):
        documents.change_secrecy(store, rev1, other.id, "Mật", "has a stamp")
    raised = documents.change_secrecy(store, docs.user("secret"), other.id, "Mật", "dấu MẬT")
    assert raised.secrecy == "Mật"
    with store.session() as s:  # rev1 cleared now, but it is their own batch
        row = s.get(User, rev1.id)
        assert row is not None
        row.clearance = "Mật"
    with pytest.raises(NotAllowedError, match="four eyes"):
        documents.change_secrecy(store, docs.user("rev1"), other.id, "", "no stamp")


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def client(docs: Docs) -> Iterator[Callable[[str], TestClient]]:
    made: list[TestClient] = []

    def log_in(username: str) -> TestClient:
        client = TestClient(create_app(docs.room.settings))
        made.append(client)
        answer = client.post("/api/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers[CSRF_HEADER] = answer.json()["csrf_token"]
        client.headers["accept"] = "application/json"
        return client

    yield log_in
    for client in made:
        client.close()


def test_the_stamped_document_is_404_in_the_api_for_the_uncleared(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    rev2, secret = client("rev2"), client("secret")
    hidden, page = docs.ids[3], docs.pages[5]
    crop = f"/api/documents/{hidden}/fields/secrecy/crop"
    for method, url, body in (
        ("GET", f"/api/documents/{hidden}/history", None),
        ("GET", crop, None),
        ("PATCH", f"/api/documents/{hidden}", {"summary": "x"}),
        ("POST", f"/api/documents/{hidden}/confirm", None),
        ("POST", f"/api/documents/{hidden}/secrecy", {"level": "", "reason": "x"}),
        ("POST", f"/api/folders/{docs.folder}/documents/merge", {"document_id": hidden}),
        ("POST", f"/api/folders/{docs.folder}/documents/split", {"page_id": docs.pages[6]}),
        ("GET", f"/api/pages/{page}", None),
        ("GET", f"/api/pages/{page}/text", None),
        ("GET", f"/images/pages/{page}/preview", None),
    ):
        answer = rev2.request(method, url, json=body)
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["detail"] in (f"No document {hidden}", f"No page {page}",
                                           f"No page {docs.pages[6]}")  # fmt: skip
        assert "bí mật" not in answer.text
        assert secret.request("GET", url).status_code in (200, 405), url
    listed = rev2.get(f"/api/folders/{docs.folder}/documents").json()
    assert [d["sequence"] for d in listed] == [1, 2]
    pages = rev2.get(f"/api/folders/{docs.folder}/pages").json()
    assert [p["id"] for p in pages] == [docs.pages[n] for n in (1, 2, 3, 4)]
    assert rev2.get(f"/api/folders/{docs.folder}").json()["counts"]["pages"] == 4
    history = rev2.get(f"/api/folders/{docs.folder}/history").json()
    assert hidden not in {e["document_id"] for e in history}
    assert "bảo vệ bí mật" not in str(history)
    # the cleared reviewer sees all three, and where the stamp was read
    listed = secret.get(f"/api/folders/{docs.folder}/documents").json()
    assert [(d["sequence"], d["level"]) for d in listed] == [(1, ""), (2, ""), (3, "Mật")]
    assert secret.get(f"/api/folders/{docs.folder}").json()["counts"]["pages"] == 6
    stamp = secret.get(listed[2]["fields"]["secrecy"]["crop_url"])
    assert stamp.status_code == 200 and stamp.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(stamp.content)).convert("RGB")
    pixels = picture.tobytes()
    red = sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 150 and pixels[i + 1] < 90
              and pixels[i + 2] < 90)  # fmt: skip
    assert red > 500  # the red MẬT itself, cut from the cleaned page
    assert hidden in {e["document_id"] for e in secret.get(
        f"/api/folders/{docs.folder}/history").json()}  # fmt: skip


def test_lowering_over_the_api_is_recorded_and_shows_the_document(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    rev2, secret = client("rev2"), client("secret")
    url = f"/api/documents/{docs.ids[3]}/secrecy"
    answer = secret.post(url, json={"level": "", "reason": ""})
    assert answer.status_code == 422 and "reason" in answer.json()["detail"]
    answer = secret.post(url, json={"level": "", "reason": "Dấu MẬT in trong tiêu đề"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["level"] == "" and answer.json()["secrecy"] is None
    assert rev2.get(f"/api/documents/{docs.ids[3]}/history").status_code == 200
    (event,) = [e for e in rev2.get(f"/api/documents/{docs.ids[3]}/history").json()
                if e["detail"].get("action") == "document_secrecy"]  # fmt: skip
    assert event["who"] == "secret" and event["detail"]["reason"] == "Dấu MẬT in trong tiêu đề"
    assert rev2.get(f"/api/pages/{docs.pages[5]}").status_code == 200


def test_edit_confirm_split_merge_over_the_api(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    rev2 = client("rev2")
    first = f"/api/documents/{docs.ids[1]}"
    bad = rev2.patch(first, json={"issued_date": "31/02/2026"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_input"
    assert bad.json()["detail"].startswith("issued_date: not a real date")
    bad = rev2.patch(first, json={"page_count": 5})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("page_count: read-only")
    bad = rev2.patch(first, json={"issuing_body": "X", "extra": 1})
    assert bad.status_code == 422 and "extra: Extra inputs are not permitted" in bad.text
    good = rev2.patch(first, json={"number": "707", "issued_date": "2026-04-22"})
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["needs_confirmation"] == ["number_symbol"]
    assert body["fields"]["number"]["source"] == "reviewer" and body["edited"] is True
    confirmed = rev2.post(f"{first}/confirm").json()
    assert confirmed["state"] == "confirmed" and confirmed["needs_confirmation"] == []
    # an operator may not; a missing CSRF token is refused
    op1 = client("op1")
    answer = op1.patch(first, json={"place": "Huế"})
    assert answer.status_code == 403 and "needs the reviewer role" in answer.json()["detail"]
    answer = rev2.patch(first, json={"place": "Huế"}, headers={CSRF_HEADER: "forged"})
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    assert docs.document(1).fields["place"]["value"] == "Hà Nội"
    # split at page 4 (the công văn's second page), then merge it back
    split = rev2.post(f"/api/folders/{docs.folder}/documents/split",
                      json={"page_id": docs.pages[4]})  # fmt: skip
    assert split.status_code == 200, split.text
    assert [(d["sequence"], [p["page_id"] for p in d["pages"]]) for d in split.json()] == [
        (1, [docs.pages[1], docs.pages[2]]),
        (2, [docs.pages[3]]),
        (3, [docs.pages[4]]),
    ]
    new = split.json()[2]["id"]
    merged = rev2.post(f"/api/folders/{docs.folder}/documents/merge", json={"document_id": new})
    assert merged.status_code == 200, merged.text
    assert [len(d["pages"]) for d in merged.json()] == [2, 2]
    again = rev2.post(f"/api/folders/{docs.folder}/documents/merge", json={"document_id": new})
    assert again.status_code == 404 and again.json()["detail"] == f"No document {new}"
    conflict = rev2.post(f"/api/folders/{docs.folder}/documents/split",
                         json={"page_id": docs.pages[3]})  # fmt: skip
    assert conflict.status_code == 409 and "already starts văn bản 2" in conflict.text
    events = rev2.get(f"{first}/history").json()
    assert [e["stage"] for e in events] == ["extract_documents", "document", "document"]
    assert [e["detail"].get("action") for e in events[1:]] == ["edit_document", "confirm_document"]


def test_approval_over_the_api_waits_for_confirmation(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    keeper, secret = client("keeper"), client("secret")
    for page_id in docs.room.pages[HS1]:
        assert secret.post(f"/api/pages/{page_id}/decision",
                           json={"decision": "approve"}).status_code == 200  # fmt: skip
    refused = keeper.post(f"/api/folders/{docs.folder}/approve")
    assert refused.status_code == 409
    assert "văn bản 1 (number, number_symbol, issued_date)" in refused.json()["detail"]
    assert secret.post(f"/api/documents/{docs.ids[1]}/confirm").status_code == 200
    approved = keeper.post(f"/api/folders/{docs.folder}/approve")
    assert approved.status_code == 200 and approved.json()["review_state"] == "approved"
    locked = secret.patch(f"/api/documents/{docs.ids[2]}", json={"place": "Huế"})
    assert locked.status_code == 409 and "reopen" in locked.json()["detail"]


def test_crops_come_from_the_cleaned_page_or_its_preview(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    rev2 = client("rev2")
    url = f"/api/documents/{docs.ids[1]}/fields/number_symbol/crop"
    sharp = Image.open(io.BytesIO(rev2.get(url).content))
    # (407, 322, 688, 362) with a quarter of its height around it
    assert sharp.size == (281 + 20, 40 + 20)
    page = docs.page(1)
    docs.store.update_page(page.id, derivatives={k: v for k, v in page.derivatives.items()
                                                 if k != "image"})  # fmt: skip
    scaled = Image.open(io.BytesIO(rev2.get(url).content))
    assert abs(scaled.size[0] - sharp.size[0] * 620 / 1673) < 4  # the preview is smaller
    assert rev2.get(f"/api/documents/{docs.ids[1]}/fields/secrecy/crop").status_code == 404
    assert rev2.get(f"/api/documents/{docs.ids[1]}/fields/nothing/crop").status_code == 404
    assert rev2.get(f"/api/documents/{docs.ids[1]}/fields/x-y/crop").status_code == 422
    docs.store.update_page(page.id, derivatives={"preview": "/etc/passwd"})
    assert rev2.get(url).status_code == 404


def test_suspect_words_are_marked_on_the_page(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    rev2 = client("rev2")
    text = rev2.get(f"/api/pages/{docs.pages[1]}/text").json()
    assert text["suspect_words"] == [{"text": "sô", "box": [407, 322, 470, 362]}]
    words = {w["text"]: w for line in text["lines"] for w in line}
    assert words["sô"]["suspect"] and not words["Công"]["suspect"]
    html = rev2.get(f"/pages/{docs.pages[1]}", headers={"accept": "text/html"}).text
    assert '<mark class="suspect" title="Cannot be Vietnamese: OCR damage? 42%">sô</mark>' in html
    assert 'class="suspect-box" style="left: 24.328%; top: 13.667%; width: 3.766%' in html
    assert 'id="page-document"' in html and "QUYẾT ĐỊNH 707/QĐ-TTg" in html
    other = rev2.get(f"/pages/{docs.pages[3]}", headers={"accept": "text/html"}).text
    assert 'class="suspect' not in other and '<mark title="42%">sô</mark>' in other


def test_the_folder_page_shows_where_documents_begin(
    docs: Docs, client: Callable[[str], TestClient]
) -> None:
    html = client("rev2").get(f"/folders/{docs.folder}", headers={"accept": "text/html"}).text
    assert html.count('class="doc-start"') == 2  # the Mật one is not there for rev2
    assert ">VB 1 · QUYẾT ĐỊNH 707/QĐ-TTg</span>" in html
    assert ">VB 2 · CÔNG VĂN 3722/VPCP-CN</span>" in html
    assert f'id="p{docs.pages[3]}"' in html and html.count(f'data-doc="{docs.ids[1]}"') == 2
    assert f'id="p{docs.pages[5]}"' not in html and "bảo vệ bí mật" not in html
    assert 'id="documents-data"' in html and 'Documents: <span id="doc-count">2</span>' in html
    cleared = client("secret").get(f"/folders/{docs.folder}",
                                   headers={"accept": "text/html"}).text  # fmt: skip
    assert ">VB 3 · QUYẾT ĐỊNH 729/QĐ-TTg</span>" in cleared


# --- fuzzing the document operations with documents that exist ----------------------------------

DOCUMENT_OPERATIONS = [
    ("GET", "/api/folders/{id}/documents"),
    ("POST", "/api/folders/{id}/documents/confirm-confident"),
    ("POST", "/api/folders/{id}/documents/split"),
    ("POST", "/api/folders/{id}/documents/merge"),
    ("PATCH", "/api/documents/{id}"),
    ("POST", "/api/documents/{id}/confirm"),
    ("POST", "/api/documents/{id}/secrecy"),
    ("GET", "/api/documents/{id}/history"),
    ("GET", "/api/documents/{id}/fields/{name}/crop"),
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, list[int]]]:
    """As tests/test_schemathesis.py, but on a room with documents, as the cleared reviewer."""
    import schemathesis
    from conftest import REPO, make_review_room

    from station.settings import load_settings

    tmp = tmp_path_factory.mktemp("fuzz-documents")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STATION_DATA_DIR", str(tmp / "data"))
        env.setenv("STATION_PROFILES_DIR", str(REPO / "profiles"))
        env.delenv("STATION_DATABASE_URL", raising=False)
        env.setenv("STATION_CONFIG", str(tmp / "station.toml"))
        docs = add_documents(make_review_room(load_settings()))
    app = create_app(docs.room.settings)
    with TestClient(app) as client:
        answer = client.post("/api/login", data={"username": "secret", "password": PASSWORD})
        auth_ = {"headers": {CSRF_HEADER: answer.json()["csrf_token"]},
                 "cookies": dict(client.cookies)}  # fmt: skip
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ids = sorted({docs.folder, *docs.ids.values(), *docs.pages.values()})
    yield schema, auth_, ids


@pytest.mark.parametrize(("method", "path"), DOCUMENT_OPERATIONS, ids=str)
def test_no_server_error_on_real_documents(
    fuzzed: tuple[Any, Any, list[int]], method: str, path: str
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error

    schema, auth_, ids = fuzzed
    operation = schema[path][method]
    strategies = [
        st.sampled_from(ids).flatmap(
            lambda id, mode=mode: operation.as_strategy(mode, path_parameters={"id": id}, **auth_)
        )
        for mode in GenerationMode
    ]
    for strategy in strategies:

        @settings(max_examples=25, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=strategy)
        def call(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        with contextlib.suppress(Unsatisfiable):  # nothing to vary but the id
            call()


def test_a_page_moved_to_another_folder_leaves_its_document(docs: Docs) -> None:
    """It joins the document of its new neighbour; both documents are looked at again, and
    a document left without pages goes."""
    store = docs.store
    hs2 = docs.room.pages[HS2]
    (other,) = store.replace_documents(HS2, [NewDocument(1, hs2, {})], [])
    assert other.id is not None
    store.change_document(docs.ids[1], None, state="confirmed", confirmed_by="rev1")
    rev = docs.user("rev2")
    rules.move_page(store, rev, docs.pages[2], to_folder=docs.room.folders[HS2])
    moved = docs.page(2)
    assert moved.folder_id == HS2 and moved.document_id == other.id
    first = docs.document(1)
    assert first.state == "unconfirmed" and first.confirmed_by is None
    assert "pages_moved" in first.flags and first.fields["page_count"]["value"] == 1
    joined = store.get_document(other.id)
    assert joined is not None and joined.fields["page_count"]["value"] == len(hs2) + 1
    rules.move_page(store, rev, docs.pages[1], to_folder=docs.room.folders[HS2], position=1)
    assert store.get_document(docs.ids[1]) is None, "no pages left: the document goes"
    assert [d.id for d in store.documents_of_folder(HS1)] == [docs.ids[2], docs.ids[3]]
    assert [d.sequence for d in store.documents_of_folder(HS1)] == [1, 2]
    assert docs.page(1).document_id == other.id, "first in its new folder: the next page's"
