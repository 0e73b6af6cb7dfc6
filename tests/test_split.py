"""Splitting a folder's pages into documents from what each page says."""

from __future__ import annotations

from station.documents.model import PageReading
from station.documents.split import NO_HEADER, UNCERTAIN, split_pages


def first(p: float = 0.95) -> PageReading:
    return PageReading(starts_document=p, layout="state")


def cont(number: int | None, p: float = 0.05) -> PageReading:
    return PageReading(starts_document=p, page_number=number)


def spans(*readings: PageReading) -> list[tuple[int, ...]]:
    return [s.page_ids for s in split_pages(list(enumerate(readings, start=1)))]


def test_headers_start_documents_and_numbered_pages_continue_them() -> None:
    assert spans(first(), cont(2), cont(3), first(), first(), cont(2)) == [
        (1, 2, 3),
        (4,),
        (5, 6),
    ]


def test_confident_split_carries_no_flag() -> None:
    made = split_pages(list(enumerate([first(), cont(2), first()], start=1)))
    assert [s.flags for s in made] == [(), ()]
    assert all(s.boundary_confidence >= 0.9 for s in made)


def test_a_page_without_header_at_the_start_is_a_document_of_its_own_flagged() -> None:
    made = split_pages([(7, cont(None)), (8, first())])
    assert [s.page_ids for s in made] == [(7,), (8,)]
    assert NO_HEADER in made[0].flags and UNCERTAIN in made[0].flags
    assert made[1].flags == ()


def test_unnumbered_continuation_follows_the_document_before_it() -> None:
    assert spans(first(), cont(None), cont(None)) == [(1, 2, 3)]


def test_page_number_restarting_at_one_starts_a_document_even_with_a_weak_header() -> None:
    made = split_pages(list(enumerate([first(), cont(2), cont(1, p=0.3)], start=1)))
    assert [s.page_ids for s in made] == [(1, 2), (3,)]


def test_an_unsure_header_is_flagged_for_review() -> None:
    made = split_pages(list(enumerate([first(), cont(None, p=0.55)], start=1)))
    assert [s.page_ids for s in made] == [(1,), (2,)]
    assert UNCERTAIN in made[1].flags and made[1].uncertain_pages == (2,)


def test_a_fitting_page_number_outweighs_a_weak_header_guess() -> None:
    # page "2" that happens to look a little like a header still continues the document
    assert spans(first(), cont(2, p=0.6), cont(3)) == [(1, 2, 3)]


def test_nothing_is_dropped() -> None:
    readings = [first(), cont(None, p=0.5), cont(7), first(0.2), cont(2)]
    made = split_pages(list(enumerate(readings, start=1)))
    assert sorted(i for s in made for i in s.page_ids) == [1, 2, 3, 4, 5]
