"""The review rules (station.review.rules) on a real review room: decisions, four eyes, roles,
clearance, folder approval, metadata, page order, and the events every change leaves."""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

import pytest
from conftest import ReviewRoom

from station.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from station.review import rules
from station.store import Event, Folder, Page, Store, User

HS1, HS2, HS3, HS4 = "05/01/HS-001", "05/01/HS-002", "05/01/HS-003", "05/01/HS-004"


@pytest.fixture
def room(review_room: ReviewRoom) -> ReviewRoom:
    return review_room


def store_of(room: ReviewRoom) -> Store:
    assert isinstance(room.store, Store)
    return room.store


def who(room: ReviewRoom, username: str) -> User:
    user = store_of(room).get_user(username)
    assert user is not None
    return user


def page(room: ReviewRoom, page_id: int) -> Page:
    found = store_of(room).get_page(page_id)
    assert found is not None
    return found


def folder(room: ReviewRoom, folder_id: str) -> Folder:
    found = store_of(room).get_folder(folder_id)
    assert found is not None
    return found


def order(room: ReviewRoom, folder_id: str) -> list[int | None]:
    return [p.id for p in store_of(room).folder_pages(folder_id)]


def positions(room: ReviewRoom, folder_id: str) -> list[int | None]:
    return [p.position for p in store_of(room).folder_pages(folder_id)]


def review_events(room: ReviewRoom, folder_id: str) -> list[Event]:
    return [e for e in store_of(room).events_of_folder(folder_id) if e.stage == "review"]


def last_event(room: ReviewRoom, folder_id: str) -> Event:
    events = review_events(room, folder_id)
    assert events, f"no review event for {folder_id}"
    return events[-1]


def assert_event(
    event: Event, *, agent: str, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    assert event.agent == agent
    assert event.stage == "review" and event.outcome == "ok"
    assert event.detail["action"] == action
    assert event.detail["before"] == before
    assert event.detail["after"] == after


def decide_all(room: ReviewRoom, folder_id: str, username: str = "rev2") -> None:
    for page_id in room.pages[folder_id]:
        rules.decide(store_of(room), who(room, username), page_id, "approve")


# --- page decisions ---------------------------------------------------------------------------


def test_approve_records_who_when_and_an_event(room: ReviewRoom) -> None:
    first = room.pages[HS1][0]
    decided = rules.decide(store_of(room), who(room, "rev2"), first, "approve")
    assert decided.decision == "approve" and decided.reason is None
    stored = page(room, first)
    assert stored.decision == "approve" and stored.decided_by == "rev2"
    assert stored.decided_at is not None
    event = last_event(room, HS1)
    assert event.page_id == first and event.batch_id == room.batches["op1"]
    assert_event(
        event,
        agent="rev2",
        action="decision",
        before={"decision": None, "reason": None},
        after={"decision": "approve", "reason": None},
    )


def test_reject_takes_a_known_reason(room: ReviewRoom) -> None:
    given = [
        ("blurred", "blurred"),
        ("  cut_off ", "cut_off"),
        ("other: ink faded on the left edge", "other: ink faded on the left edge"),
        ("other :   chữ bị nhòe  ", "other: chữ bị nhòe"),
        ("other", "other"),
    ]
    for page_id, (reason, stored) in zip(room.pages[HS1], given, strict=False):
        rejected = rules.decide(store_of(room), who(room, "rev2"), page_id, "reject", reason)
        assert (rejected.decision, rejected.reason) == ("reject", stored)
        assert_event(
            last_event(room, HS1),
            agent="rev2",
            action="decision",
            before={"decision": None, "reason": None},
            after={"decision": "reject", "reason": stored},
        )
        assert page(room, page_id).reason == stored


def test_reject_keeps_vietnamese_text_in_one_normal_form(room: ReviewRoom) -> None:
    decomposed = unicodedata.normalize("NFD", "other: mờ")
    rejected = rules.decide(store_of(room), who(room, "rev2"), room.pages[HS1][0], "reject",
                             decomposed)  # fmt: skip
    assert rejected.reason == unicodedata.normalize("NFC", "other: mờ")


def test_reject_without_a_known_reason_is_refused(room: ReviewRoom) -> None:
    page_id = room.pages[HS1][0]
    for reason in (None, "", "   ", "ugly", "blurry", "other text", ": blurred", "x" * 40):
        with pytest.raises(InvalidInputError, match="needs a reason, one of blurred, cut_off"):
            rules.decide(store_of(room), who(room, "rev2"), page_id, "reject", reason)
    assert page(room, page_id).decision is None
    assert review_events(room, HS1) == []


def test_a_reason_is_at_most_500_characters(room: ReviewRoom) -> None:
    with pytest.raises(InvalidInputError, match="at most 500"):
        rules.decide(
            store_of(room), who(room, "rev2"), room.pages[HS1][0], "reject", "other: " + "x" * 500
        )


def test_a_reason_given_with_approve_or_blank_is_dropped(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    assert rules.decide(store, rev2, room.pages[HS1][0], "approve", "blurred").reason is None
    blank = rules.decide(store, rev2, room.pages[HS1][4], "blank", "blurred")
    assert (blank.decision, blank.reason) == ("blank", None)


def test_unknown_decision_is_refused(room: ReviewRoom) -> None:
    with pytest.raises(InvalidInputError, match="Unknown decision 'maybe': use one of approve"):
        rules.decide(store_of(room), who(room, "rev2"), room.pages[HS1][0], "maybe")


def test_undo_takes_a_decision_back(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    page_id = room.pages[HS1][2]
    rules.decide(store, rev2, page_id, "reject", "blurred")
    undone = rules.undo_decision(store, rev2, page_id)
    assert (undone.decision, undone.reason, undone.decided_by, undone.decided_at) == (
        None, None, None, None,
    )  # fmt: skip
    assert_event(
        last_event(room, HS1),
        agent="rev2",
        action="decision",
        before={"decision": "reject", "reason": "blurred"},
        after={"decision": None, "reason": None},
    )
    assert folder(room, HS1).review_counts == {
        "pages": 6, "undecided": 6, "approve": 0, "reject": 0, "blank": 0, "separator": 0,
    }  # fmt: skip


def test_a_failed_page_cannot_be_approved_only_rejected(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    page_id = room.pages[HS1][3]
    store.update_page(page_id, state="failed", error="tesseract crashed")
    store.refresh_review(HS1)
    assert folder(room, HS1).page_flags == {"blurred": 1, "possible_blank": 1, "failed": 1}
    with pytest.raises(ConflictError, match=f"Page {page_id} .* failed processing"):
        rules.decide(store, rev2, page_id, "approve")
    assert page(room, page_id).decision is None
    assert rules.decide(store, rev2, page_id, "reject", "other: unreadable").decision == "reject"


def test_a_separator_sheet_cannot_be_decided(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    sheet = room.pages[HS1][0]
    store.update_page(sheet, separator=HS1)
    store.refresh_review(HS1)
    for decision in rules.DECISIONS:
        with pytest.raises(ConflictError, match="separator sheet"):
            rules.decide(store, rev2, sheet, decision, "blurred")
    with pytest.raises(ConflictError, match="separator sheet"):
        rules.undo_decision(store, rev2, sheet)
    with pytest.raises(ConflictError, match="separator sheet"):
        rules.turn_page(store, rev2, sheet, 90)
    counts = folder(room, HS1).review_counts
    assert counts is not None and counts["separator"] == 1 and counts["undecided"] == 5


def test_pages_still_processing_replaced_or_in_no_folder_cannot_be_decided(
    room: ReviewRoom,
) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    queued, replaced, loose = room.pages[HS1][:3]
    store.update_page(queued, state="queued")
    store.update_page(replaced, replaced_by=loose)
    with pytest.raises(ConflictError, match="still being processed"):
        rules.decide(store, rev2, queued, "approve")
    with pytest.raises(ConflictError, match=f"replaced by page {loose}"):
        rules.decide(store, rev2, replaced, "approve")
    store.update_page(loose, folder_id=None)
    with pytest.raises(ConflictError, match="belongs to no folder"):
        rules.decide(store, rev2, loose, "approve")


def test_unknown_page_is_not_found(room: ReviewRoom) -> None:
    with pytest.raises(NotFoundError, match=r"^No page 999$"):
        rules.decide(store_of(room), who(room, "rev2"), 999, "approve")


# --- four eyes and roles ----------------------------------------------------------------------


def test_four_eyes_a_reviewer_never_decides_a_batch_they_fed(room: ReviewRoom) -> None:
    store, rev1, rev2 = store_of(room), who(room, "rev1"), who(room, "rev2")
    own = room.pages[HS2][0]
    batch = room.batches["rev1"]
    refusals: list[Any] = [
        lambda: rules.decide(store, rev1, own, "approve"),
        lambda: rules.decide(store, rev1, own, "reject", "blurred"),
        lambda: rules.undo_decision(store, rev1, own),
        lambda: rules.turn_page(store, rev1, own, 90),
        lambda: rules.move_page(store, rev1, own, position=2),
        lambda: rules.approve_unflagged(store, rev1, room.folders[HS2]),
        lambda: rules.reorder(store, rev1, room.folders[HS2], list(reversed(room.pages[HS2]))),
    ]
    for refused in refusals:
        with pytest.raises(NotAllowedError, match=rf"'rev1' fed batch {batch}.*\(four eyes\)"):
            refused()
    assert review_events(room, HS2) == []
    assert rules.decide(store, rev2, own, "approve").decided_by == "rev2"
    # rev1 reviews what someone else fed
    assert rules.decide(store, rev1, room.pages[HS1][0], "approve").decided_by == "rev1"


def test_four_eyes_hold_for_an_archivist_who_fed_the_batch(room: ReviewRoom) -> None:
    store = store_of(room)
    store.set_batch_source(
        room.batches["rev1"],
        source_dir=room.settings.data_dir,
        operator="arch",
        station_name="s1",
        origin="hotfolder",
    )
    store.refresh_review(HS2)
    assert folder(room, HS2).operators == ["arch"]
    with pytest.raises(NotAllowedError, match="four eyes"):
        rules.approve_all(store, who(room, "arch"), HS2)
    assert [page(room, i).decision for i in room.pages[HS2]] == [None, None, None]


def test_an_operator_decides_nothing(room: ReviewRoom) -> None:
    store, op1 = store_of(room), who(room, "op1")
    page_id = room.pages[HS1][0]
    refusals: list[Any] = [
        lambda: rules.decide(store, op1, page_id, "approve"),
        lambda: rules.undo_decision(store, op1, page_id),
        lambda: rules.turn_page(store, op1, page_id, 90),
        lambda: rules.move_page(store, op1, page_id, position=2),
        lambda: rules.mark_secrecy(store, op1, page_id, ""),
        lambda: rules.approve_unflagged(store, op1, room.folders[HS1]),
        lambda: rules.reorder(store, op1, room.folders[HS1], room.pages[HS1]),
    ]
    for refused in refusals:
        with pytest.raises(NotAllowedError, match="needs the reviewer role; 'op1' is operator"):
            refused()
    assert review_events(room, HS1) == []


def test_only_an_archivist_or_admin_approves_reopens_and_edits_folders(room: ReviewRoom) -> None:
    store = store_of(room)
    decide_all(room, HS1)
    number = room.folders[HS1]
    for username in ("op1", "rev2", "secret"):
        user = who(room, username)
        with pytest.raises(NotAllowedError, match="Approving folders needs the archivist role"):
            rules.approve_folder(store, user, number)
        with pytest.raises(NotAllowedError, match="Approving folders needs the archivist role"):
            rules.approve_all(store, user, HS1)
        with pytest.raises(NotAllowedError, match="Reopening folders needs the archivist role"):
            rules.reopen_folder(store, user, number)
        with pytest.raises(NotAllowedError, match="Editing metadata needs the archivist role"):
            rules.edit_metadata(store, user, number, {"title": "Khác"})
    assert rules.approve_folder(store, who(room, "arch"), number).approved_by == "arch"
    assert rules.reopen_folder(store, who(room, "boss"), number).approved_by is None
    assert rules.approve_folder(store, who(room, "boss"), number).approved_by == "boss"


def test_a_disabled_account_does_nothing(room: ReviewRoom) -> None:
    store = store_of(room)
    store.set_user_disabled("rev2", True)
    with pytest.raises(NotAllowedError, match="'rev2' is disabled"):
        rules.decide(store, who(room, "rev2"), room.pages[HS1][0], "approve")


# --- clearance --------------------------------------------------------------------------------


def test_a_secret_folder_does_not_exist_for_those_not_cleared(room: ReviewRoom) -> None:
    store, rev2, arch = store_of(room), who(room, "rev2"), who(room, "arch")
    number, secret_page = room.folders[HS3], room.pages[HS3][0]
    with pytest.raises(NotFoundError) as hidden:
        rules.find_folder(store, rev2, number)
    with pytest.raises(NotFoundError) as unknown:
        rules.find_folder(store, rev2, 999)
    assert (str(hidden.value), str(unknown.value)) == (f"No folder {number}", "No folder 999")
    with pytest.raises(NotFoundError, match=f"^No folder '{HS3}'$"):
        rules.find_folder_by_archival_id(store, rev2, HS3)
    with pytest.raises(NotFoundError, match=f"^No page {secret_page}$"):
        rules.find_page(store, rev2, secret_page)
    hidden_actions: list[Any] = [
        lambda: rules.decide(store, rev2, secret_page, "approve"),
        lambda: rules.undo_decision(store, rev2, secret_page),
        lambda: rules.turn_page(store, rev2, secret_page, 90),
        lambda: rules.move_page(store, rev2, secret_page, position=1),
        lambda: rules.mark_secrecy(store, rev2, secret_page, ""),
        lambda: rules.approve_unflagged(store, rev2, number),
        lambda: rules.reorder(store, rev2, number, room.pages[HS3]),
        lambda: rules.move_page(store, rev2, room.pages[HS1][0], to_folder=number),
        lambda: rules.approve_folder(store, arch, number),
        lambda: rules.approve_all(store, arch, HS3),
        lambda: rules.reopen_folder(store, arch, number),
        lambda: rules.edit_metadata(store, arch, number, {"title": "x"}),
    ]
    for action in hidden_actions:
        with pytest.raises(NotFoundError, match=r"^No (page|folder) "):
            action()
    assert review_events(room, HS3) == []


def test_a_user_cleared_for_it_sees_and_reviews_the_secret_folder(room: ReviewRoom) -> None:
    store, secret = store_of(room), who(room, "secret")
    assert rules.find_folder(store, secret, room.folders[HS3]).secrecy == "Mật"
    pages = store.folder_pages(HS3)
    assert rules.visible_pages(secret, folder(room, HS3), pages) == pages
    assert rules.visible_pages(who(room, "rev2"), folder(room, HS3), pages) == []
    assert rules.decide(store, secret, room.pages[HS3][0], "approve").decision == "approve"


def test_marking_a_page_above_ones_clearance_is_refused(room: ReviewRoom) -> None:
    store, rev2, secret = store_of(room), who(room, "rev2"), who(room, "secret")
    page_id = room.pages[HS1][1]
    for level in ("Mật", "Tối mật", "Tuyệt mật"):
        with pytest.raises(NotAllowedError, match=f"'rev2' may not mark pages '{level}'"):
            rules.mark_secrecy(store, rev2, page_id, level)
    with pytest.raises(NotAllowedError, match="'secret' may not mark pages 'Tuyệt mật'"):
        rules.mark_secrecy(store, secret, page_id, "Tuyệt mật")
    with pytest.raises(InvalidInputError, match="Unknown clearance 'Secret'"):
        rules.mark_secrecy(store, secret, page_id, "Secret")
    assert page(room, page_id).secrecy == ""
    assert review_events(room, HS1) == []


def test_a_page_marked_secret_disappears_for_those_not_cleared(room: ReviewRoom) -> None:
    store, rev2, secret, arch = (
        store_of(room), who(room, "rev2"), who(room, "secret"), who(room, "arch"),
    )  # fmt: skip
    page_id = room.pages[HS1][1]
    marked = rules.mark_secrecy(store, secret, page_id, "tối mật")  # any case, any form
    assert marked.secrecy == "Tối mật"
    assert_event(
        last_event(room, HS1),
        agent="secret",
        action="secrecy",
        before={"secrecy": ""},
        after={"secrecy": "Tối mật"},
    )
    with pytest.raises(NotFoundError, match=f"^No page {page_id}$"):
        rules.find_page(store, rev2, page_id)
    with pytest.raises(NotFoundError):
        rules.decide(store, rev2, page_id, "approve")
    visible = rules.visible_pages(rev2, folder(room, HS1), store.folder_pages(HS1))
    assert page_id not in [p.id for p in visible] and len(visible) == 5
    # the folder itself stays visible; approving it needs someone who sees all its pages
    assert rules.find_folder(store, rev2, room.folders[HS1]).folder_id == HS1
    decide_all(room, HS1, "secret")
    with pytest.raises(NotAllowedError, match="holds pages marked above 'arch'"):
        rules.approve_folder(store, arch, room.folders[HS1])
    # a reviewer cleared for it takes the mark off again; then the page is back for everyone
    rules.mark_secrecy(store, secret, page_id, "")
    assert rules.find_page(store, rev2, page_id)[0].id == page_id


def test_a_page_takes_the_higher_of_its_own_and_its_folders_marking(room: ReviewRoom) -> None:
    store, secret = store_of(room), who(room, "secret")
    hs3 = folder(room, HS3)
    plain = page(room, room.pages[HS3][0])
    assert rules.page_secrecy(plain, hs3) == "Mật"
    marked = rules.mark_secrecy(store, secret, room.pages[HS3][0], "Tối mật")
    assert rules.page_secrecy(marked, hs3) == "Tối mật"
    # clearing a page's own mark does not take the folder's away
    cleared = rules.mark_secrecy(store, secret, room.pages[HS3][0], "")
    assert rules.page_secrecy(cleared, hs3) == "Mật"


# --- approving folders ------------------------------------------------------------------------


def test_a_folder_is_approved_only_when_every_page_is_decided(room: ReviewRoom) -> None:
    store, rev2, arch = store_of(room), who(room, "rev2"), who(room, "arch")
    number = room.folders[HS1]
    with pytest.raises(ConflictError, match="has 6 undecided page\\(s\\), the first at position 1"):
        rules.approve_folder(store, arch, number)
    for page_id in room.pages[HS1][:4]:
        rules.decide(store, rev2, page_id, "approve")
    with pytest.raises(ConflictError, match="has 2 undecided page\\(s\\), the first at position 5"):
        rules.approve_folder(store, arch, number)
    rules.decide(store, rev2, room.pages[HS1][4], "blank")
    rules.decide(store, rev2, room.pages[HS1][5], "reject", "skewed")
    assert folder(room, HS1).review_state == "rescan"
    with pytest.raises(ConflictError, match="has 1 rejected page\\(s\\) waiting for a rescan"):
        rules.approve_folder(store, arch, number)
    rules.decide(store, rev2, room.pages[HS1][5], "approve")
    assert folder(room, HS1).review_state == "ready"
    approved = rules.approve_folder(store, arch, number)
    assert approved.approved_by == "arch" and approved.approved_at is not None
    assert folder(room, HS1).review_state == "approved"
    assert_event(
        last_event(room, HS1),
        agent="arch",
        action="approve_folder",
        before={"review_state": "ready"},
        after={"review_state": "approved"},
    )
    with pytest.raises(ConflictError, match="is approved; an archivist must reopen it first"):
        rules.approve_folder(store, arch, number)


def test_an_empty_folder_cannot_be_approved(room: ReviewRoom) -> None:
    assert folder(room, HS4).review_state == "empty"
    with pytest.raises(ConflictError, match="has no scanned pages to approve"):
        rules.approve_folder(store_of(room), who(room, "arch"), room.folders[HS4])
    with pytest.raises(ConflictError, match="has no scanned pages to approve"):
        rules.approve_all(store_of(room), who(room, "arch"), HS4)


def test_nothing_in_an_approved_folder_changes_until_it_is_reopened(room: ReviewRoom) -> None:
    store, rev2, arch = store_of(room), who(room, "rev2"), who(room, "arch")
    decide_all(room, HS1)
    number, page_id = room.folders[HS1], room.pages[HS1][0]
    rules.approve_folder(store, arch, number)
    closed = "is approved; an archivist must reopen it first"
    refusals: list[Any] = [
        lambda: rules.decide(store, rev2, page_id, "reject", "blurred"),
        lambda: rules.undo_decision(store, rev2, page_id),
        lambda: rules.turn_page(store, rev2, page_id, 90),
        lambda: rules.move_page(store, rev2, page_id, position=3),
        lambda: rules.move_page(store, rev2, room.pages[HS2][0], to_folder=number),
        lambda: rules.reorder(store, rev2, number, list(reversed(room.pages[HS1]))),
        lambda: rules.approve_unflagged(store, rev2, number),
        lambda: rules.approve_all(store, arch, HS1),
        lambda: rules.edit_metadata(store, arch, number, {"title": "Đổi tên sau khi duyệt"}),
    ]
    for refused in refusals:
        with pytest.raises(ConflictError, match=closed):
            refused()
    reopened = rules.reopen_folder(store, arch, number)
    assert reopened.approved_at is None and reopened.approved_by is None
    assert folder(room, HS1).review_state == "ready"
    assert_event(
        last_event(room, HS1),
        agent="arch",
        action="reopen_folder",
        before={"approved_by": "arch"},
        after={"approved_by": None},
    )
    assert rules.decide(store, rev2, page_id, "reject", "blurred").decision == "reject"
    assert folder(room, HS1).review_state == "rescan"


def test_reopening_a_folder_that_is_not_approved_is_a_conflict(room: ReviewRoom) -> None:
    with pytest.raises(ConflictError, match=f"Folder {HS1} is not approved"):
        rules.reopen_folder(store_of(room), who(room, "arch"), room.folders[HS1])


def test_approve_all_decides_every_undecided_page_then_the_folder(room: ReviewRoom) -> None:
    store, arch = store_of(room), who(room, "arch")
    rules.decide(store, who(room, "rev2"), room.pages[HS1][4], "blank")
    approved, count = rules.approve_all(store, arch, HS1)
    assert count == 5 and approved.approved_by == "arch"
    decisions = [page(room, i).decision for i in room.pages[HS1]]
    assert decisions == ["approve"] * 4 + ["blank", "approve"]
    assert folder(room, HS1).review_state == "approved"
    bulk = [e for e in review_events(room, HS1) if e.detail["action"] == "approve_unflagged"]
    assert len(bulk) == 5 and {e.agent for e in bulk} == {"arch"}
    assert last_event(room, HS1).detail["action"] == "approve_folder"


def test_approve_all_names_the_folder_by_its_archival_id(room: ReviewRoom) -> None:
    with pytest.raises(NotFoundError, match=r"^No folder '05/01/HS-999'$"):
        rules.approve_all(store_of(room), who(room, "arch"), "05/01/HS-999")
    assert rules.approve_all(store_of(room), who(room, "arch"), f" {HS2}"[1:])[1] == 3


@pytest.mark.parametrize("obstacle", ["rejected", "failed"])
def test_approve_all_changes_nothing_when_refused(room: ReviewRoom, obstacle: str) -> None:
    store, arch = store_of(room), who(room, "arch")
    page_id = room.pages[HS1][2]
    if obstacle == "rejected":
        rules.decide(store, who(room, "rev2"), page_id, "reject", "blurred")
        expected = "1 rejected page\\(s\\) waiting for a rescan"
    else:
        store.update_page(page_id, state="failed")
        expected = "1 page\\(s\\) failed processing"
    before = [(page(room, i).decision, page(room, i).decided_by) for i in room.pages[HS1]]
    events = len(store.events_of_folder(HS1))
    with pytest.raises(ConflictError, match=expected):
        rules.approve_all(store, arch, HS1)
    assert [(page(room, i).decision, page(room, i).decided_by) for i in room.pages[HS1]] == before
    assert len(store.events_of_folder(HS1)) == events
    assert folder(room, HS1).approved_at is None


def test_approve_unflagged_leaves_flagged_pages_to_the_reviewer(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    approved = rules.approve_unflagged(store, rev2, room.folders[HS1])
    blurred, possible_blank = room.pages[HS1][2], room.pages[HS1][4]
    assert sorted(p.id for p in approved if p.id) == sorted(
        set(room.pages[HS1]) - {blurred, possible_blank}
    )
    assert page(room, blurred).decision is None and page(room, possible_blank).decision is None
    counts = folder(room, HS1).review_counts
    assert counts is not None and (counts["approve"], counts["undecided"]) == (4, 2)
    assert {e.detail["action"] for e in review_events(room, HS1)} == {"approve_unflagged"}
    assert rules.approve_unflagged(store, rev2, room.folders[HS1]) == []  # nothing left


# --- folder metadata --------------------------------------------------------------------------


def test_edit_metadata_records_the_values_before_and_after(room: ReviewRoom) -> None:
    store, arch = store_of(room), who(room, "arch")
    old_title = folder(room, HS1).title
    edited = rules.edit_metadata(
        store,
        arch,
        room.folders[HS1],
        {"title": "Công văn (sửa)", "start_date": "03/2019", "retention": "10 năm",
         "sheet_count": 7},
    )  # fmt: skip
    assert edited.title == "Công văn (sửa)"
    assert edited.start_date == datetime.date(2019, 3, 1)
    assert edited.retention_years == 10 and edited.sheet_count == 7
    stored = folder(room, HS1)
    assert (stored.title, stored.retention_years) == ("Công văn (sửa)", 10)
    assert_event(
        last_event(room, HS1),
        agent="arch",
        action="edit_metadata",
        before={"title": old_title, "start_date": "2019-01-01", "retention_years": None,
                "sheet_count": 6},
        after={"title": "Công văn (sửa)", "start_date": "2019-03-01", "retention_years": 10,
               "sheet_count": 7},
    )  # fmt: skip


def test_edit_metadata_without_a_change_records_nothing(room: ReviewRoom) -> None:
    store = store_of(room)
    title = folder(room, HS1).title
    rules.edit_metadata(store, who(room, "arch"), room.folders[HS1], {"title": title})
    assert review_events(room, HS1) == []


def test_edit_metadata_refuses_bad_values_naming_the_field(room: ReviewRoom) -> None:
    before = folder(room, HS1)
    refused: list[tuple[dict[str, Any], str]] = [
        ({"start_date": "31/02/2019"}, "start_date: not a real date"),
        ({"start_date": "soon"}, "start_date: not a date"),
        ({"end_date": "2018"}, "end_date: the folder ends before it starts"),
        ({"start_date": "2999"}, "start_date: the date is in the future"),
        ({"title": ""}, "title: "),
        ({"retention": "forever"}, "retention: "),
        ({"retention": "500 năm"}, "retention: "),
        ({"sheet_count": -1}, "sheet_count: "),
        ({"secrecy": "Very secret"}, "secrecy: "),
    ]
    for changes, message in refused:
        with pytest.raises(InvalidInputError, match=message):
            rules.edit_metadata(store_of(room), who(room, "arch"), room.folders[HS1], changes)
    after = folder(room, HS1)
    assert (after.title, after.start_date, after.end_date, after.retention_years) == (
        before.title, before.start_date, before.end_date, before.retention_years,
    )  # fmt: skip
    assert review_events(room, HS1) == []


def test_edit_metadata_refuses_fields_that_are_not_editable(room: ReviewRoom) -> None:
    for field in ("folder_id", "box_no", "approved_by", "review_state"):
        with pytest.raises(InvalidInputError, match=f"Cannot edit {field}: editable fields are"):
            rules.edit_metadata(store_of(room), who(room, "arch"), room.folders[HS1],
                                 {field: "9", "title": "x"})  # fmt: skip
    assert folder(room, HS1).box_no == "1" and review_events(room, HS1) == []


def test_edit_metadata_never_marks_a_folder_above_ones_clearance(room: ReviewRoom) -> None:
    with pytest.raises(NotAllowedError, match="'arch' may not mark a folder 'Mật'"):
        rules.edit_metadata(store_of(room), who(room, "arch"), room.folders[HS1],
                             {"secrecy": "Mật"})  # fmt: skip
    assert folder(room, HS1).secrecy == ""


# --- order, moves and turns -------------------------------------------------------------------


def test_reorder_puts_the_pages_in_the_new_order(room: ReviewRoom) -> None:
    store = store_of(room)
    new = list(reversed(room.pages[HS1]))
    pages = rules.reorder(store, who(room, "rev2"), room.folders[HS1], new)
    assert [p.id for p in pages] == new
    assert order(room, HS1) == new and positions(room, HS1) == [1, 2, 3, 4, 5, 6]
    assert_event(
        last_event(room, HS1),
        agent="rev2",
        action="reorder",
        before={"order": room.pages[HS1]},
        after={"order": new},
    )


def test_reorder_must_name_each_page_once(room: ReviewRoom) -> None:
    ids = room.pages[HS1]
    missing, twice, foreign = ids[1:], [*ids[1:], ids[1]], [*ids[1:], room.pages[HS2][0]]
    for new in (missing, twice, foreign, [*ids, ids[0]], []):
        with pytest.raises(InvalidInputError, match="list each of the folder's 6 pages exactly"):
            rules.reorder(store_of(room), who(room, "rev2"), room.folders[HS1], new)
    assert order(room, HS1) == ids and review_events(room, HS1) == []


def test_move_within_the_folder_renumbers_its_pages(room: ReviewRoom) -> None:
    store = store_of(room)
    ids = room.pages[HS1]
    moved = rules.move_page(store, who(room, "rev2"), ids[5], position=1)
    assert moved.folder_id == HS1 and moved.position == 1
    assert order(room, HS1) == [ids[5], *ids[:5]]
    assert positions(room, HS1) == [1, 2, 3, 4, 5, 6]
    assert_event(
        last_event(room, HS1),
        agent="rev2",
        action="move",
        before={"folder_id": HS1, "position": 6},
        after={"folder_id": HS1, "position": 1},
    )
    rules.move_page(store, who(room, "rev2"), ids[5], position=6)  # and back to the end
    assert order(room, HS1) == ids and positions(room, HS1) == [1, 2, 3, 4, 5, 6]


def test_move_to_another_folder_renumbers_both(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    ids = room.pages[HS1]
    rules.decide(store, rev2, ids[1], "approve")
    moved = rules.move_page(store, rev2, ids[1], to_folder=room.folders[HS4])
    assert moved.folder_id == HS4 and moved.position == 1
    assert order(room, HS4) == [ids[1]] and positions(room, HS4) == [1]
    assert order(room, HS1) == [ids[0], *ids[2:]] and positions(room, HS1) == [1, 2, 3, 4, 5]
    hs1, hs4 = folder(room, HS1), folder(room, HS4)
    assert hs1.review_counts is not None and hs4.review_counts is not None
    assert (hs1.review_counts["pages"], hs1.review_counts["approve"]) == (5, 0)
    assert (hs4.review_counts["pages"], hs4.review_counts["approve"]) == (1, 1)
    assert hs4.review_state == "ready" and hs1.review_state == "to_review"
    assert hs4.operators == ["op1"]
    event = review_events(room, HS1)[-1]
    assert_event(
        event,
        agent="rev2",
        action="move",
        before={"folder_id": HS1, "position": 2},
        after={"folder_id": HS4, "position": 1},
    )
    # into a place in a folder that has pages
    rules.move_page(store, rev2, ids[0], to_folder=room.folders[HS4], position=1)
    assert order(room, HS4) == [ids[0], ids[1]] and positions(room, HS4) == [1, 2]
    assert positions(room, HS1) == [1, 2, 3, 4]


def test_move_the_only_page_out_empties_the_folder(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    page_id = room.pages[HS1][0]
    rules.move_page(store, rev2, page_id, to_folder=room.folders[HS4])
    assert folder(room, HS4).review_state == "to_review"
    rules.move_page(store, rev2, page_id, to_folder=room.folders[HS1], position=1)
    assert folder(room, HS4).review_state == "empty"
    assert folder(room, HS4).review_counts == {
        "pages": 0, "undecided": 0, "approve": 0, "reject": 0, "blank": 0, "separator": 0,
    }  # fmt: skip
    assert order(room, HS1) == room.pages[HS1] and positions(room, HS1) == [1, 2, 3, 4, 5, 6]


def test_move_naming_its_own_folder_moves_within_it(room: ReviewRoom) -> None:
    """Even a page marked above its folder's marking may move within that folder."""
    store, secret = store_of(room), who(room, "secret")
    first, second = room.pages[HS3]
    rules.mark_secrecy(store, secret, first, "Tối mật")
    moved = rules.move_page(store, secret, first, to_folder=room.folders[HS3], position=2)
    assert moved.folder_id == HS3 and moved.position == 2
    assert order(room, HS3) == [second, first] and positions(room, HS3) == [1, 2]


def test_move_to_a_position_outside_the_folder_is_refused(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    for position in (0, -1, 7, 8):
        with pytest.raises(InvalidInputError, match=f"must be from 1 to 6, not {position}"):
            rules.move_page(store, rev2, room.pages[HS1][0], position=position)
    with pytest.raises(InvalidInputError, match="Position must be from 1 to 1, not 2"):
        rules.move_page(store, rev2, room.pages[HS1][0], to_folder=room.folders[HS4], position=2)
    assert order(room, HS1) == room.pages[HS1] and review_events(room, HS1) == []


def test_a_secret_page_never_moves_into_a_folder_without_the_marking(room: ReviewRoom) -> None:
    store, secret = store_of(room), who(room, "secret")
    with pytest.raises(ConflictError, match=r"Page [0-9]+ is Mật .* would lose that marking"):
        rules.move_page(store, secret, room.pages[HS3][0], to_folder=room.folders[HS1])
    # the other way is fine: the page takes the folder's marking
    rules.move_page(store, secret, room.pages[HS1][0], to_folder=room.folders[HS3])
    with pytest.raises(NotFoundError):
        rules.find_page(store, who(room, "rev2"), room.pages[HS1][0])


def test_moving_into_an_approved_folder_is_refused(room: ReviewRoom) -> None:
    store = store_of(room)
    rules.approve_all(store, who(room, "arch"), HS2)
    with pytest.raises(ConflictError, match=f"Folder {HS2} is approved"):
        rules.move_page(store, who(room, "rev2"), room.pages[HS1][0], to_folder=room.folders[HS2])


def test_turn_adds_quarter_turns(room: ReviewRoom) -> None:
    store, rev2 = store_of(room), who(room, "rev2")
    page_id = room.pages[HS1][0]
    assert rules.turn_page(store, rev2, page_id, 90).turn == 90
    assert_event(
        last_event(room, HS1), agent="rev2", action="turn", before={"turn": 0}, after={"turn": 90}
    )
    assert rules.turn_page(store, rev2, page_id, 180).turn == 270
    assert rules.turn_page(store, rev2, page_id, 90).turn == 0
    assert rules.turn_page(store, rev2, page_id, -90).turn == 270
    assert page(room, page_id).turn == 270


def test_turn_is_in_quarter_turns_only(room: ReviewRoom) -> None:
    for degrees in (1, 45, 100, -30):
        with pytest.raises(InvalidInputError, match=rf"turns \(90, 180, 270\), not {degrees}"):
            rules.turn_page(store_of(room), who(room, "rev2"), room.pages[HS1][0], degrees)
    assert page(room, room.pages[HS1][0]).turn == 0 and review_events(room, HS1) == []


# --- the folder's own bookkeeping -------------------------------------------------------------


def test_folder_counts_state_and_flags_follow_every_change(room: ReviewRoom) -> None:
    store, rev2, arch = store_of(room), who(room, "rev2"), who(room, "arch")
    ids = room.pages[HS1]

    def state() -> tuple[str, dict[str, int] | None, dict[str, int] | None]:
        found = folder(room, HS1)
        return found.review_state, found.review_counts, found.page_flags

    def counts(undecided: int, approve: int = 0, reject: int = 0, blank: int = 0) -> dict[str, int]:
        return {"pages": 6, "undecided": undecided, "approve": approve, "reject": reject,
                "blank": blank, "separator": 0}  # fmt: skip

    flags = {"blurred": 1, "possible_blank": 1}
    assert state() == ("to_review", counts(6), flags)
    assert folder(room, HS1).operators == ["op1"]
    rules.decide(store, rev2, ids[2], "reject", "blurred")
    assert state() == ("to_review", counts(5, reject=1), flags)
    rules.decide(store, rev2, ids[4], "blank")
    assert state() == ("to_review", counts(4, reject=1, blank=1), flags)
    for page_id in (ids[0], ids[1], ids[3], ids[5]):
        rules.decide(store, rev2, page_id, "approve")
    assert state() == ("rescan", counts(0, approve=4, reject=1, blank=1), flags)
    rules.undo_decision(store, rev2, ids[2])
    assert state() == ("to_review", counts(1, approve=4, blank=1), flags)
    rules.decide(store, rev2, ids[2], "approve")
    assert state() == ("ready", counts(0, approve=5, blank=1), flags)
    rules.approve_folder(store, arch, room.folders[HS1])
    assert state() == ("approved", counts(0, approve=5, blank=1), flags)
    rules.reopen_folder(store, arch, room.folders[HS1])
    assert state() == ("ready", counts(0, approve=5, blank=1), flags)
    rules.turn_page(store, rev2, ids[0], 90)
    rules.reorder(store, rev2, room.folders[HS1], list(reversed(ids)))
    assert state() == ("ready", counts(0, approve=5, blank=1), flags)


def test_every_change_leaves_an_event_with_who_and_what(room: ReviewRoom) -> None:
    store = store_of(room)
    rev2, secret, arch = who(room, "rev2"), who(room, "secret"), who(room, "arch")
    ids, number = room.pages[HS1], room.folders[HS1]
    rules.decide(store, rev2, ids[0], "approve")
    rules.undo_decision(store, rev2, ids[0])
    rules.turn_page(store, rev2, ids[0], 90)
    rules.mark_secrecy(store, secret, ids[1], "Mật")
    rules.mark_secrecy(store, secret, ids[1], "")
    rules.move_page(store, rev2, ids[2], position=1)
    rules.reorder(store, rev2, number, ids)
    rules.approve_unflagged(store, rev2, number)
    rules.edit_metadata(store, arch, number, {"notes": "Giấy ố vàng"})
    rules.approve_all(store, arch, HS1)
    rules.reopen_folder(store, arch, number)
    events = review_events(room, HS1)
    assert [(e.detail["action"], e.agent) for e in events] == [
        ("decision", "rev2"),
        ("decision", "rev2"),
        ("turn", "rev2"),
        ("secrecy", "secret"),
        ("secrecy", "secret"),
        ("move", "rev2"),
        ("reorder", "rev2"),
        *[("approve_unflagged", "rev2")] * 4,
        ("edit_metadata", "arch"),
        *[("approve_unflagged", "arch")] * 2,
        ("approve_folder", "arch"),
        ("reopen_folder", "arch"),
    ]
    for event in events:
        assert {"action", "before", "after"} <= set(event.detail)
        assert event.folder_id == HS1 and event.at is not None
    page_events = [e for e in events if e.detail["action"] in ("decision", "turn", "secrecy")]
    assert all(e.page_id in ids for e in page_events)
    assert [e.detail["action"] for e in store.events_of_page(ids[0])] == [
        "decision", "decision", "turn", "approve_unflagged",
    ]  # fmt: skip


# --- the rescan list --------------------------------------------------------------------------


def test_rescan_list_shows_rejected_pages_the_user_may_see(room: ReviewRoom) -> None:
    store = store_of(room)
    rules.decide(store, who(room, "rev2"), room.pages[HS1][2], "reject", "other: gấp mép")
    rules.decide(store, who(room, "secret"), room.pages[HS3][0], "reject", "cut_off")
    for_op1 = rules.rescan_list(store, who(room, "op1"))
    assert [(e.page.id, e.reason_label, e.batch_name) for e in for_op1] == [
        (room.pages[HS1][2], "Other (Lý do khác): gấp mép", "batch-op1")
    ]
    for_secret = rules.rescan_list(store, who(room, "secret"))
    assert [e.page.id for e in for_secret] == [room.pages[HS1][2], room.pages[HS3][0]]
    assert for_secret[1].reason_label == "Cut off (Mất góc, mất chữ)"


def test_reorder_needs_a_user_who_sees_every_page(room: ReviewRoom) -> None:
    """Else a reviewer could name a hidden page's id (they are numbers in a row) and have the
    new order confirm it, and show it."""
    store, rev2 = store_of(room), who(room, "rev2")
    hidden = room.pages[HS1][1]
    rules.mark_secrecy(store, who(room, "secret"), hidden, "Mật")
    with pytest.raises(NotAllowedError, match="holds pages marked above 'rev2'"):
        rules.reorder(store, rev2, room.folders[HS1], list(reversed(room.pages[HS1])))
    assert order(room, HS1) == room.pages[HS1]
    new = list(reversed(room.pages[HS1]))
    assert [p.id for p in rules.reorder(store, who(room, "secret"), room.folders[HS1], new)] == new
