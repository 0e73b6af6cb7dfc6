"""Hostile inputs for station's readers, and the rule every case must keep.

Shared by the property tests (tests/test_fuzz.py, hypothesis draws the choices) and the
bounded benchmark (bench/fuzz.py, a seeded random.Random draws them), so both judge the
same targets the same way:

- `image`: a scan file (`frame_count`, then `load_page_image` on its first frames);
- `separator`: the codes on a page image (`read_page_codes`), from noise or a damaged sheet;
- `manifest-csv`, `manifest-xlsx`: `read_manifest` on CSV in any encoding and delimiter, and
  on XLSX workbooks built with odd cells or damaged afterwards;
- `batch.done`: `read_done_file`.

A case passes when it succeeds or ends in station's own error (`StationError`) whose message
names the file; anything else (a traceback, an error without the file's name) fails it.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import random
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from station.errors import StationError

TARGETS = ("image", "separator", "manifest-csv", "manifest-xlsx", "batch.done")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258", "latin-1", "ascii")
DELIMITERS = (",", ";", "\t", "|", " ")
WORDS = (
    "Mã phông", "Hộp số", "Hồ sơ số", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu",
    "Thời gian kết thúc", "Thời hạn bảo quản", "Số lượng tờ", "Độ mật", "STT", "fonds_code",
    "box_no", "folder_no", "folder_id", "title", "start_date", "end_date", "retention",
    "sheet_count", "05", "12a", "345", "05.01.345", "05/03/2019", "2019", "13/13/2019",
    "Vĩnh viễn", "10 năm", "Mật", "Tuyệt mật", "=1+1", "@SUM(1+1)", "- Lưu VT", "-5", "",
    " ", "\x00", "\u202e", "Ｈồ sơ", "e\u0301", "🗂", "NaN", "1e309", "0x1F", '"', "'", "\r\n",
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    ok: bool  # the rule held (success or station's own error naming the file)
    outcome: str  # "success", "station_error" or what went wrong
    detail: str = ""
    seconds: float = 0.0  # station's reading alone, without making the case


# --- seeds -------------------------------------------------------------------------------------


def _page(rng: random.Random, width: int = 160, height: int = 220) -> Image.Image:
    """A small grey page with a few dark lines of 'text'."""
    pixels = np.full((height, width), 235, np.uint8)
    for top in range(20, height - 20, 18):
        length = rng.randrange(width // 3, width - 20)
        pixels[top : top + 6, 12 : 12 + length] = rng.randrange(10, 80)
    return Image.fromarray(pixels)


def image_seed(kind: str, rng: random.Random) -> bytes:
    """A valid small image file: png, tiff (LZW, sometimes several pages), jpeg or rgb png."""
    out = io.BytesIO()
    page = _page(rng)
    if kind == "png":
        page.save(out, "PNG", dpi=(300, 300))
    elif kind == "rgb":
        page.convert("RGB").save(out, "PNG")
    elif kind == "tiff":
        frames = [_page(rng) for _ in range(rng.randrange(0, 3))]
        page.save(
            out, "TIFF", compression="tiff_lzw", dpi=(300, 300), save_all=True, append_images=frames
        )
    else:
        page.save(out, "JPEG", quality=70, dpi=(200, 200))
    return out.getvalue()


def png_with_size(width: int, height: int) -> bytes:
    """A PNG header claiming width x height, with one short IDAT: a giant or bomb header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * min(width + 1, 1 << 16) * 4)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


@functools.cache
def many_frames(count: int) -> bytes:
    """A TIFF of `count` tiny pages: thousands of frames in one file (made once: seconds)."""
    out = io.BytesIO()
    frames = [Image.new("L", (8, 8), 255) for _ in range(count)]
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


# --- mutations -------------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random, rounds: int) -> bytes:
    """Flip, overwrite, insert, delete, duplicate or cut bytes, `rounds` times."""
    buffer = bytearray(data)
    for _ in range(rounds):
        if not buffer:
            buffer.extend(rng.randbytes(rng.randrange(1, 64)))
            continue
        at = rng.randrange(len(buffer))
        kind = rng.randrange(7)
        if kind == 0:
            buffer[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buffer[at] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif kind == 2:
            buffer[at:at] = rng.randbytes(rng.randrange(1, 32))
        elif kind == 3:
            del buffer[at : at + rng.randrange(1, 64)]
        elif kind == 4:
            end = min(len(buffer), at + rng.randrange(1, 256))
            buffer[at:at] = buffer[at:end]
        elif kind == 5:
            del buffer[at:]
        else:  # a 32-bit field set to an extreme (sizes, offsets, counts)
            value = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 200_000, 65_535))
            buffer[at : at + 4] = struct.pack(rng.choice((">I", "<I")), value)
    return bytes(buffer)


# --- cases ---------------------------------------------------------------------------------------


def image_case(rng: random.Random) -> tuple[str, bytes]:
    """(file name, bytes): a damaged scan, a giant header, or text/HTML/PDF under an image name."""
    suffix = rng.choice(IMAGE_SUFFIXES)
    roll = rng.random()
    if roll < 0.08:
        width, height = rng.choice(((200_000, 1), (200_000, 400), (50_000, 50_000), (1, 10**6)))
        data = png_with_size(width, height)
    elif roll < 0.09:
        data = many_frames(rng.choice((1000, 3000)))
        if rng.random() < 0.5:
            data = mutate(data, rng, rng.randrange(1, 4))
    elif roll < 0.14:
        data = rng.choice(
            (
                b"<!doctype html><title>scan</title>",
                "Công văn số 12\n".encode(),
                b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
                b"",
                b"\x00" * rng.randrange(1, 4096),
            )
        )
    else:
        data = image_seed(rng.choice(("png", "rgb", "tiff", "jpeg")), rng)
        if rng.random() < 0.9:
            data = mutate(data, rng, rng.randrange(1, 12))
    return f"scan_{rng.randrange(10_000):04d}{suffix}", data


GOOD_ROW = ("05", "1", "12", "345", "05.01.345", "Hồ sơ số 12", "05/03/2019", "2019",
            "Vĩnh viễn", "Công khai", "45", "vi", "- Lưu VT", "Giấy giòn", "")  # fmt: skip


def manifest_rows(rng: random.Random, cell: Callable[[], Any]) -> list[list[Any]]:
    """Header and rows: half the time a good manifest with a few cells changed, else odd."""
    from station.manifest import FIELDS

    if rng.random() < 0.5:
        header: list[Any] = [
            rng.choice((f.english, f.vietnamese)) if rng.random() < 0.99 else cell() for f in FIELDS
        ]
        rows = [header]
        for number in range(rng.randrange(1, 6)):
            row: list[Any] = list(GOOD_ROW)
            row[4] = f"05.01.{number}"
            for _ in range(rng.choice((0, 0, 0, 1, 2))):
                row[rng.randrange(len(row))] = cell()
            rows.append(row)
        return rows
    width = rng.randrange(1, 18)
    rows = [[cell() for _ in range(width)] for _ in range(rng.randrange(0, 8))]
    if rows and rng.random() < 0.7:
        rows[0] = [rng.choice(WORDS[:20]) for _ in range(width)]
    return rows


def csv_case(rng: random.Random) -> tuple[str, bytes]:
    """A manifest CSV: a header and rows of odd cells, any delimiter, encoding and damage."""
    # Half the files in what Excel writes (so the rows are read), half in anything.
    usual = rng.random() < 0.5
    delimiter = rng.choice(DELIMITERS[:3] if usual else DELIMITERS)
    rows = manifest_rows(rng, lambda: rng.choice(WORDS))
    text = io.StringIO()
    ending = rng.choice(("\n", "\r\n", "\r"))
    csv.writer(text, delimiter=delimiter, lineterminator=ending).writerows(rows)
    raw = text.getvalue()
    if rng.random() < 0.2:
        raw = raw.replace('"', "", rng.randrange(1, 4))  # unbalanced quotes
    data = raw.encode(rng.choice(ENCODINGS[:3] if usual else ENCODINGS), errors="replace")
    if rng.random() < (0.1 if usual else 0.3):
        data = mutate(data, rng, rng.randrange(1, 6))
    return "muc-luc.csv", data


def xlsx_case(rng: random.Random) -> tuple[str, bytes]:
    """A manifest workbook with odd cells (formulas, dates, numbers, None), sometimes damaged."""
    import openpyxl  # type: ignore[import-untyped, unused-ignore]

    book = openpyxl.Workbook()
    sheet = book.active
    values: list[Callable[[], Any]] = [
        lambda: rng.choice(WORDS),
        lambda: rng.randrange(-5, 10**6),
        lambda: rng.random() * 1e6,
        lambda: None,
        lambda: datetime.date(rng.randrange(1900, 2030), rng.randrange(1, 13), 1),
        lambda: f"=A{rng.randrange(1, 9)}&B1",
        lambda: True,
    ]
    values[0] = lambda: rng.choice([w for w in WORDS if w.isprintable() or w == "\r\n"])
    for row in manifest_rows(rng, lambda: rng.choice(values)()):
        sheet.append(row)
    if rng.random() < 0.2:
        book.create_sheet("Khác").append(["x"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    if rng.random() < 0.35:
        data = mutate(data, rng, rng.randrange(1, 8))
    return rng.choice(("ho-so.xlsx", "ho-so.xlsm")), data


def done_case(rng: random.Random) -> tuple[str, bytes]:
    """A batch.done: operator/station lines, sha256sum and BSD lines, comments and junk."""
    lines = []
    for _ in range(rng.randrange(0, 8)):
        kind = rng.randrange(6)
        digest = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.choice((64, 63))))
        name = rng.choice(("scan_0001.tif", "a b.png", "../etc/passwd", "\\x.tif", "", "ảnh.jpg"))
        if kind == 0:
            key = rng.choice(("operator", "station", "Operator", "x"))
            lines.append(f"{key}: {rng.choice(WORDS)}")
        elif kind == 1:
            escape, separator = rng.choice(("", "\\")), rng.choice(("  ", " *", " "))
            lines.append(f"{escape}{digest}{separator}{name}")
        elif kind == 2:
            lines.append(f"SHA256 ({name}) = {digest}")
        elif kind == 3:
            lines.append("# " + rng.choice(WORDS))
        else:
            lines.append(rng.choice(WORDS))
    data = "\n".join(lines).encode(rng.choice(ENCODINGS), errors="replace")
    if rng.random() < 0.25:
        data = mutate(data, rng, rng.randrange(1, 6))
    return "batch.done", data


def separator_image(rng: random.Random) -> tuple[np.ndarray, float]:
    """A page image for the code reader: noise, a flat page, or a damaged separator sheet."""
    from station.pipeline import separators

    dpi = rng.choice((50.0, 72.0, 150.0, 300.0, 600.0, 1200.0))
    roll = rng.random()
    if roll < 0.3:
        shape = (rng.randrange(1, 400), rng.randrange(1, 400))
        return np.frombuffer(rng.randbytes(shape[0] * shape[1]), np.uint8).reshape(shape), dpi
    if roll < 0.4:
        shape = (rng.randrange(1, 600), rng.randrange(1, 600))
        return np.full(shape, rng.randrange(256), np.uint8), dpi
    label = separators.SeparatorLabel(
        folder_id=rng.choice(("05/01/HS-12", "A", "05.01.345")),
        box_no="12",
        folder_no="345",
        title=rng.choice(WORDS),
        fonds_code="05",
    )
    sheet = separators.render_separator_sheet(label, dpi=100)
    top, left = rng.randrange(0, sheet.shape[0] // 2), rng.randrange(0, sheet.shape[1] // 2)
    height, width = rng.randrange(1, sheet.shape[0]), rng.randrange(1, sheet.shape[1])
    sheet = sheet[top : top + height, left : left + width]
    noise = np.frombuffer(rng.randbytes(sheet.size), np.uint8).reshape(sheet.shape)
    mixed = np.where(noise < rng.randrange(0, 80), noise, sheet).astype(np.uint8)
    if rng.random() < 0.3:
        mixed = np.stack([mixed] * 3, axis=-1)
    return np.ascontiguousarray(mixed), 100.0 if rng.random() < 0.5 else dpi


MAKERS: dict[str, Callable[[random.Random], tuple[str, bytes]]] = {
    "image": image_case,
    "manifest-csv": csv_case,
    "manifest-xlsx": xlsx_case,
    "batch.done": done_case,
}


# --- running and judging ---------------------------------------------------------------------


def run_file(target: str, path: Path) -> object:
    """Read `path` the way station does for `target`."""
    if target == "image":
        from station.pipeline.imaging import frame_count, load_page_image

        frames = frame_count(path)
        for index in range(min(frames, 3)):
            load_page_image(path, index, path.name, assumed_dpi=300)
        return frames
    if target in ("manifest-csv", "manifest-xlsx"):
        from station.manifest import read_manifest

        return read_manifest(path)
    if target == "batch.done":
        from station.hotfolder import read_done_file

        return read_done_file(path)
    raise ValueError(f"unknown target {target}")


def judge_file(target: str, path: Path) -> Verdict:
    try:
        run_file(target, path)
    except StationError as exc:
        if path.name not in str(exc):
            return Verdict(False, "unnamed_error", f"{type(exc).__name__}: {exc}")
        return Verdict(True, "station_error", f"{exc.code}")
    except Exception as exc:  # the rule is broken: any other exception is a traceback
        return Verdict(False, "traceback", f"{type(exc).__name__}: {exc}")
    return Verdict(True, "success")


def judge_separator(image: np.ndarray, dpi: float) -> Verdict:
    from station.pipeline.separators import read_page_codes

    try:
        read_page_codes(image, dpi)
    except StationError as exc:
        return Verdict(True, "station_error", exc.code)
    except Exception as exc:
        return Verdict(False, "traceback", f"{type(exc).__name__}: {exc}")
    return Verdict(True, "success")


def run_case(target: str, seed: int, folder: Path) -> Verdict:
    """One case of `target` from `seed`, its file written in `folder`."""
    rng = random.Random(f"{target}:{seed}")
    if target == "separator":
        image, dpi = separator_image(rng)
        started = time.perf_counter()
        return replace(judge_separator(image, dpi), seconds=time.perf_counter() - started)
    name, data = MAKERS[target](rng)
    path = folder / name
    path.write_bytes(data)
    try:
        started = time.perf_counter()
        return replace(judge_file(target, path), seconds=time.perf_counter() - started)
    finally:
        path.unlink(missing_ok=True)
