"""A document's fields from its pages' readings, cross-checked.

The header fields come from the first page, the signature block and "Nơi nhận" from the
last page that has them, secrecy and urgency from the strongest stamp on any page (a
missed secrecy stamp is a leak, so every page counts). Then the fields are checked
against each other and against what is known: the type abbreviation in the symbol must
agree with the type name, the date must fall in the folder's range, and an issuing body
close to one already seen in the fonds takes that spelling. Disagreements lower the
confidence and are named in the flags, never silently "fixed".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from station.documents import vocab
from station.documents.model import (
    CLOSING_FIELDS,
    FIELDS,
    HEADER_FIELDS,
    SECRECY_LEVELS,
    URGENCY_LEVELS,
    FieldReading,
    PageReading,
)

TYPE_SYMBOL_DISAGREE = "type_symbol_disagree"
DATE_OUTSIDE_FOLDER = "date_outside_folder"
NO_FIELDS = "document_fields_missing"


@dataclass(frozen=True)
class DocumentDescription:
    fields: dict[str, FieldReading]
    flags: tuple[str, ...]


def describe_document(
    pages: Sequence[tuple[int, PageReading]],
    *,
    folder_start: date | None,
    folder_end: date | None,
    known_bodies: Collection[str] = (),
    default_language: str = "vi",
) -> DocumentDescription:
    """Every field of FIELDS for one document (None with confidence 0 when not found)."""
    fields: dict[str, FieldReading] = {name: FieldReading(None) for name in FIELDS}
    flags: list[str] = []
    if pages:
        first_id, first = pages[0]
        for name in HEADER_FIELDS:
            if name in first.header:
                fields[name] = replace(first.header[name], page_id=first_id)
        for page_id, reading in reversed(pages):
            if any(name in reading.closing for name in CLOSING_FIELDS):
                for name in CLOSING_FIELDS:
                    if name in reading.closing:
                        fields[name] = replace(reading.closing[name], page_id=page_id)
                break
        for kind, levels in (("secrecy", SECRECY_LEVELS), ("urgency", URGENCY_LEVELS)):
            best = None
            for page_id, reading in pages:
                for stamp in reading.stamps:
                    if stamp.kind != kind or stamp.level not in levels:
                        continue
                    rank = (levels.index(stamp.level), stamp.confidence)
                    if best is None or rank > best[0]:
                        best = (
                            rank,
                            FieldReading(
                                stamp.level, stamp.confidence, stamp.box, page_id, "stamp"
                            ),
                        )
            if best is not None:
                fields[kind] = best[1]
            else:
                fields[kind] = FieldReading(None, 0.0, None, first_id, "stamp")
        language = first.language or default_language
        fields["language"] = FieldReading(language, 0.9, None, first_id, "derived")
    fields["page_count"] = FieldReading(len(pages), 1.0, None, None, "derived")
    if not any(fields[name].value is not None for name in HEADER_FIELDS):
        flags.append(NO_FIELDS)
    _check_type_and_symbol(fields, flags)
    _check_date(fields, flags, folder_start, folder_end)
    _repair_body(fields, known_bodies)
    return DocumentDescription(fields, tuple(flags))


def _check_type_and_symbol(fields: dict[str, FieldReading], flags: list[str]) -> None:
    doc_type, symbol = fields["document_type"].value, fields["symbol"].value
    if not isinstance(doc_type, str) or not isinstance(symbol, str):
        return
    codes = [p for p in re.split(r"[/-]", symbol) if p and not p.isdigit()]
    expected = vocab.DOCUMENT_TYPES.get(doc_type, ())
    if doc_type == "CÔNG VĂN":
        # A state công văn's symbol is issuer-unit; a Party one carries CV.
        if codes and codes[0].upper() in vocab.ABBREVIATION_TYPES and codes[0].upper() != "CV":
            _disagree(fields, flags)
        return
    if not codes:
        return
    first_code = codes[0].upper()
    if expected and first_code not in {c.upper() for c in expected}:
        _disagree(fields, flags)


def _disagree(fields: dict[str, FieldReading], flags: list[str]) -> None:
    flags.append(TYPE_SYMBOL_DISAGREE)
    for name in ("document_type", "symbol", "number_symbol"):
        reading = fields[name]
        fields[name] = replace(reading, confidence=round(min(reading.confidence, 0.5), 3))


def _check_date(
    fields: dict[str, FieldReading], flags: list[str], start: date | None, end: date | None
) -> None:
    value = fields["issued_date"].value
    if not isinstance(value, str) or (start is None and end is None):
        return
    try:
        issued = date.fromisoformat(value)
    except ValueError:
        return
    slack = timedelta(days=31)  # a folder's dates are often rounded to the month
    if (start and issued < start - slack) or (end and issued > end + slack):
        flags.append(DATE_OUTSIDE_FOLDER)
        reading = fields["issued_date"]
        fields["issued_date"] = replace(reading, confidence=round(min(reading.confidence, 0.4), 3))


def _repair_body(fields: dict[str, FieldReading], known: Collection[str]) -> None:
    """An issuer the lists could not vouch for, spelt like a body already seen in the fonds.

    The fonds' list holds what was read before, not what a reviewer confirmed, and OCR
    repeats its slips (the same bold capitals lose the same marks), so agreeing with it
    proves nothing: it only lends its marks when the letters agree with exactly one of its
    names, and never lifts the confidence to where nobody looks.
    """
    reading = fields["issuing_body"]
    if not isinstance(reading.value, str) or not known or reading.value in known:
        return
    # Only the diacritics may differ: "TỈNH NGHỆ AN" is never repaired into "TỈNH ĐỒNG NAI",
    # however alike the rest of two long names is.
    folded = vocab.fold(reading.value)
    matches = {name for name in known if vocab.fold(name) == folded}
    if len(matches) == 1:
        name = next(iter(matches))
        confidence = min(reading.confidence, _UNCONFIRMED)
        if vocab.repair_name(name).vouched:
            confidence = reading.confidence  # the lists vouch for the fonds' spelling
        fields["issuing_body"] = replace(reading, value=name, confidence=round(confidence, 3))


_UNCONFIRMED = 0.8  # below any sensible threshold: a reviewer looks
