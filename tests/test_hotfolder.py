"""Hot folders: batch.done, readiness, moving batches and files out, and the real watcher."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from watchdog.observers.polling import PollingEmitter, PollingObserver

from station.errors import BadArgumentError, BatchNotReadyError
from station.hotfolder import (
    BatchStatus,
    FileHistory,
    HotFolderWatcher,
    ReadyBatch,
    check_batch,
    check_loose_files,
    install_signal_handlers,
    iter_candidate_batches,
    move_failed_file,
    move_to_done,
    read_done_file,
)
from station.settings import StationSettings, load_settings

PROFILE = "text-gray-300"


def image_bytes(fmt: str, size: tuple[int, int] = (160, 220), seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, dpi=(300, 300))
    return buffer.getvalue()


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def long_ago(path: Path, seconds: float = 3600.0) -> None:
    """Give a file an old modification time, as if it had been written long ago."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


# --- batch.done --------------------------------------------------------------------------------


def test_done_file_with_operator_station_checksums_and_comments(tmp_path: Path) -> None:
    a, b, c, d = (f"{n:x}" * 64 for n in (10, 11, 12, 13))
    operator_nfd = unicodedata.normalize("NFD", "Nguyễn Văn A")
    done = tmp_path / "batch.done"
    done.write_bytes(
        (
            "\ufeff# scanned on the Fujitsu, box 12\n"
            "\n"
            f"Operator:   {operator_nfd}\n"
            "station: scanner-02\n"
            "shift: morning\n"
            f"{a.upper()}  scan_0001.tif\n"
            f"{b} *folder-12/scan_0002.tif\n"
            f"{c}  .\\folder-12\\scan_0003.tif\r\n"
            f"SHA256 (scan 0004.png) = {d}\n"
            "   # indented comment\n"
        ).encode()
    )
    marker = read_done_file(done)
    assert marker.operator == "Nguyễn Văn A" and unicodedata.is_normalized("NFC", marker.operator)
    assert marker.station == "scanner-02"
    assert marker.checksums == {
        "scan_0001.tif": a,
        "folder-12/scan_0002.tif": b,
        "folder-12/scan_0003.tif": c,
        "scan 0004.png": d,
    }
    assert marker.extra == {"shift": "morning"} and marker.path == done


def test_empty_done_file_just_says_done(tmp_path: Path) -> None:
    done = tmp_path / "batch.done"
    done.write_bytes(b"")
    marker = read_done_file(done)
    assert (marker.operator, marker.station, dict(marker.checksums)) == (None, None, {})


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("operator: A\n\nthis is not a checksum\n", 3, "not understood"),
        (f"{'a' * 63}  scan_0001.tif\n", 1, "not understood"),
        (f"# ok\n{'a' * 64}  ../elsewhere/scan.tif\n", 2, "not a path inside the batch"),
        (f"{'a' * 64}  /etc/passwd\n", 1, "not a path inside the batch"),
        (f"{'a' * 64}  x.tif\n{'b' * 64}  x.tif\n", 2, "second time"),
        ("operator: A\noperator: B\n", 2, "second time"),
    ],
)
def test_malformed_done_file_names_the_file_and_line(
    tmp_path: Path, content: str, line: int, words: str
) -> None:
    done = tmp_path / "batch.done"
    done.write_text(content, encoding="utf-8")
    with pytest.raises(BadArgumentError) as caught:
        read_done_file(done)
    assert str(done) in str(caught.value)
    assert f"line {line}" in str(caught.value) and words in str(caught.value)


# --- readiness ---------------------------------------------------------------------------------


def test_checksum_mismatch_stops_that_file_only(tmp_path: Path) -> None:
    batch = tmp_path / PROFILE / "box-12"
    good = put(batch / "scan_0001.png", image_bytes("PNG", seed=1))
    bad = put(batch / "folder-12" / "scan_0003.tif", image_bytes("TIFF", seed=3))
    unlisted = put(batch / "folder-12" / "scan_0004.png", image_bytes("PNG", seed=4))
    wrong = sha(b"what the scanner meant to write")
    (batch / "batch.done").write_text(
        "operator: Trần Thị B\n"
        f"{sha(good.read_bytes())}  scan_0001.png\n"
        f"{wrong} *folder-12/scan_0003.tif\n"
        f"{sha(b'gone')}  scan_0002.png\n",
        encoding="utf-8",
    )
    state = check_batch(batch, settle_s=3600)  # batch.done: no settling needed
    assert state.status is BatchStatus.READY and state.ready
    assert state.files == (unlisted, good)  # scan order: folder-12/... before scan_0001
    assert state.marker is not None and state.marker.operator == "Trần Thị B"
    problems = {problem.code: problem for problem in state.problems}
    assert set(problems) == {"checksum_mismatch", "missing_file"}
    mismatch = problems["checksum_mismatch"]
    assert mismatch.path == bad and mismatch.exists
    assert mismatch.message.startswith("folder-12/scan_0003.tif: SHA-256 does not match batch.done")
    assert f"expected {wrong}" in mismatch.message
    assert f"found {sha(bad.read_bytes())}" in mismatch.message
    assert problems["missing_file"].message.startswith("scan_0002.png: listed in batch.done")
    assert not problems["missing_file"].exists
    assert any("folder-12/scan_0004.png: not listed in batch.done" in n for n in state.notes)


def test_bad_done_file_makes_the_batch_wait_for_a_person(tmp_path: Path) -> None:
    batch = tmp_path / "box"
    put(batch / "scan_0001.png", image_bytes("PNG"))
    (batch / "batch.done").write_text("operator A\n", encoding="utf-8")
    state = check_batch(batch, settle_s=0)
    assert state.status is BatchStatus.WAITING and state.needs_attention
    assert "line 1" in state.reason


def test_temporary_names_hold_the_batch_even_with_batch_done_but_litter_does_not(
    tmp_path: Path,
) -> None:
    batch = tmp_path / "box"
    put(batch / "scan_0001.png", image_bytes("PNG"))
    for litter in ("Thumbs.db", ".DS_Store", "._scan_0001.png", "@eaDir/scan_0001.png.jpg"):
        put(batch / litter, b"litter")
    (batch / "batch.done").write_bytes(b"")
    assert check_batch(batch, settle_s=3600).ready
    for temporary in ("sub/scan_0002.tif.part", "~$notes.docx", ".scan_0003.tif.Xa81c", "x.tmp"):
        put(batch / temporary, b"partial")
        state = check_batch(batch, settle_s=0)
        assert state.status is BatchStatus.WAITING, temporary
        assert Path(temporary).name in state.reason and "temporary name" in state.reason
        (batch / temporary).unlink()
    assert check_batch(batch, settle_s=0).ready


def test_empty_folders_are_empty_not_ready(tmp_path: Path) -> None:
    batch = tmp_path / "box"
    (batch / "folder-1").mkdir(parents=True)
    assert check_batch(batch, settle_s=0).status is BatchStatus.EMPTY
    (batch / "batch.done").write_bytes(b"")
    assert check_batch(batch, settle_s=0).status is BatchStatus.EMPTY


def test_settling_by_modification_time_without_history(tmp_path: Path) -> None:
    batch = tmp_path / "box"
    page = put(batch / "scan_0001.png", image_bytes("PNG"))
    state = check_batch(batch, settle_s=10)
    assert state.status is BatchStatus.WAITING and "scan_0001.png changed" in state.reason
    assert check_batch(batch, settle_s=10, now=time.time() + 11).ready
    long_ago(page)
    assert check_batch(batch, settle_s=10).files == (page,)


def test_truncated_image_waits_while_changing_then_is_set_aside(tmp_path: Path) -> None:
    batch = tmp_path / "box"
    good = put(batch / "a" / "scan_0001.png", image_bytes("PNG", seed=1))
    whole = image_bytes("TIFF", size=(400, 600), seed=2)
    cut = put(batch / "a" / "scan_0002.tif", whole[: len(whole) // 3])
    clock = [0.0]
    history = FileHistory(clock=lambda: clock[0])

    def check() -> str:
        state = check_batch(batch, settle_s=2.0, history=history)
        return state.status

    assert check() == "waiting"  # first sight: nothing is known to be settled
    clock[0] = 1.5
    with cut.open("ab") as handle:  # still being written
        handle.write(whole[len(whole) // 3 : len(whole) // 2])
    assert check() == "waiting"
    clock[0] = 3.0  # unchanged for 1.5 s < settle
    state = check_batch(batch, settle_s=2.0, history=history)
    assert (
        state.status is BatchStatus.WAITING and "a/scan_0002.tif changed 1.5 s ago" in state.reason
    )
    clock[0] = 4.0  # settled, but it does not decode: a file that will not decode gets 2 x settle
    state = check_batch(batch, settle_s=2.0, history=history)
    assert state.status is BatchStatus.WAITING and "does not decode completely" in state.reason
    clock[0] = 6.0
    state = check_batch(batch, settle_s=2.0, history=history)
    assert state.ready and state.files == (good,)
    (problem,) = state.problems
    assert problem.path == cut and problem.code == "unreadable_image"
    assert problem.message.startswith("a/scan_0002.tif: ")
    # Without history the file's age comes from its mtime.
    assert check_batch(batch, settle_s=2.0).status is BatchStatus.WAITING
    assert check_batch(batch, settle_s=2.0, now=time.time() + 100).problems[0].path == cut


def test_a_settled_batch_whose_images_decode_is_ready(tmp_path: Path) -> None:
    batch = tmp_path / "box"
    files = [
        put(batch / "f1" / "scan_2.tif", image_bytes("TIFF", seed=2)),
        put(batch / "f1" / "scan_10.png", image_bytes("PNG", seed=10)),
        put(batch / "f2" / "scan_1.jpg", image_bytes("JPEG", seed=1)),
        put(batch / "notes.txt", b"operator notes"),
    ]
    for path in files:
        long_ago(path)
    state = check_batch(batch, settle_s=5)
    assert state.ready and not state.problems and state.marker is None
    assert state.files == (files[0], files[1], files[2], files[3])


# --- moving ------------------------------------------------------------------------------------


def test_move_to_done_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    earlier = put(root / "_done" / PROFILE / "box-12" / "scan_0001.png", b"earlier batch")
    first = put(root / PROFILE / "box-12" / "folder-1" / "scan_0001.png", b"first")
    moved = move_to_done(first.parent.parent, root)
    assert moved == (root / "_done" / PROFILE / "box-12-2").resolve()
    assert (moved / "folder-1" / "scan_0001.png").read_bytes() == b"first"
    assert earlier.read_bytes() == b"earlier batch"
    assert not (root / PROFILE / "box-12").exists()
    put(root / PROFILE / "box-12" / "scan_0001.png", b"second")
    assert move_to_done(root / PROFILE / "box-12", root).name == "box-12-3"
    with pytest.raises(BadArgumentError, match="not a batch folder"):
        move_to_done(put(tmp_path / "elsewhere" / "x.png", b"x").parent, root)


def test_move_to_done_refuses_when_files_arrived_meanwhile(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    batch = root / PROFILE / "box"
    known = put(batch / "scan_0001.png", b"1")
    put(batch / "scan_0002.png", b"late")
    with pytest.raises(BatchNotReadyError, match=r"1 file\(s\) arrived.*scan_0002.png"):
        move_to_done(batch, root, expected_files=[known])
    assert known.exists()
    assert move_to_done(batch, root, expected_files=[known, batch / "scan_0002.png"]).is_dir()


def test_move_failed_file_keeps_the_file_and_says_why(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    batch = root / PROFILE / "box-12"
    data = image_bytes("TIFF")
    bad = put(batch / "folder-12" / "scan_0003.tif", data)
    taken = put(root / "_failed" / "box-12" / "folder-12" / "scan_0003.tif", b"an earlier failure")
    reason = unicodedata.normalize(
        "NFD", "folder-12/scan_0003.tif: SHA-256 does not match batch.done (hồ sơ 12)"
    )
    target = move_failed_file(bad, batch, root, reason)
    assert target == taken.with_name("scan_0003-2.tif").resolve()
    assert target.read_bytes() == data and not bad.exists()
    assert taken.read_bytes() == b"an earlier failure"
    note = target.with_name("scan_0003-2.tif.error.txt").read_bytes().decode("utf-8")
    assert unicodedata.is_normalized("NFC", note)
    assert note.startswith(unicodedata.normalize("NFC", reason) + ".\n")
    assert f"Original path: {bad.resolve()}" in note
    assert re.search(r"Set aside at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", note)
    with pytest.raises(BadArgumentError, match="does not exist"):
        move_failed_file(bad, batch, root, "again")
    with pytest.raises(BadArgumentError, match="not inside the batch folder"):
        move_failed_file(taken, batch, root, "outside")


def test_candidates_skip_special_hidden_and_temporary_folders(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    for folder in ("box-10", "box-9", ".box-11.partial", "@eaDir", "box-12.part"):
        (root / PROFILE / folder).mkdir(parents=True)
    put(root / "_done" / PROFILE / "old" / "scan.png", b"x")
    put(root / "_failed" / "old" / "scan.png", b"x")
    loose = put(root / PROFILE / "scan_0001.tif", b"x")
    put(root / PROFILE / "Thumbs.db", b"x")
    found = list(iter_candidate_batches(root, [PROFILE, "_done", "_failed", "missing"]))
    assert found == [(PROFILE, root / PROFILE / "box-9"), (PROFILE, root / PROFILE / "box-10")]
    assert check_loose_files(root, [PROFILE, "_done"]) == [loose]


def test_special_folders_cannot_be_watched_as_profiles(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentError, match="_done"):
        HotFolderWatcher(tmp_path, ["_done"], on_ready=lambda b: None, settle_for={"_done": 1})


# --- watching ----------------------------------------------------------------------------------


class Recorder:
    """An on_ready that hashes what it was given, then does what the watch command will."""

    def __init__(self, *, move: bool = True) -> None:
        self.move = move
        self.calls: list[tuple[float, ReadyBatch, dict[str, str]]] = []
        self.called = threading.Event()

    def __call__(self, batch: ReadyBatch) -> None:
        hashes = {
            path.relative_to(batch.batch_dir).as_posix(): sha(path.read_bytes())
            for path in batch.files
        }
        self.calls.append((time.time(), batch, hashes))
        if self.move:
            for problem in batch.problems:
                if problem.exists:
                    move_failed_file(problem.path, batch.batch_dir, batch.hot_root, problem.message)
            move_to_done(batch.batch_dir, batch.hot_root, expected_files=batch.files)
        self.called.set()

    def wait(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.calls) >= count


@contextmanager
def watching(watcher: HotFolderWatcher) -> Iterator[HotFolderWatcher]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            watcher.run_until_stopped()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, name="hotfolder-watch", daemon=True)
    thread.start()
    assert watcher.wait_started(20), "the watcher did not start"
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(20)
        assert not thread.is_alive(), "run_until_stopped did not return after stop()"
        if failures:
            raise failures[0]


# Run as a separate process: writes a batch the way a slow scanner or network copy does.
WRITER = r"""
import hashlib, io, json, os, sys, time
from pathlib import Path
import numpy as np
from PIL import Image

batch, pause, with_done = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "done"

def image(fmt, width, height, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, dpi=(300, 300))
    return buffer.getvalue()

big = (2480, 3508) if not with_done else (1240, 1754)  # A4 at 300 dpi, gray, uncompressed
plan = [
    ("folder-01/scan_0001.png", image("PNG", 300, 420, 1)),
    ("folder-02/scan_0002.tif", image("TIFF", 300, 420, 2)),
    ("folder-02/scan_0003.tif", image("TIFF", *big, 3)),
]
print("START", time.time(), flush=True)
for relative, data in plan:
    target = batch / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for start in range(0, len(data), 256 * 1024):
            out.write(data[start:start + 256 * 1024])
            out.flush()
            time.sleep(pause)
hashes = {relative: hashlib.sha256(data).hexdigest() for relative, data in plan}
finished = time.time()
if with_done:
    lines = ["operator: Nguyễn Văn A", "station: scanner-02"]
    lines += [f"{digest}  {relative}" for relative, digest in hashes.items()]
    (batch / "batch.done.tmp").write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(batch / "batch.done.tmp", batch / "batch.done")
    finished = time.time()
print(json.dumps({"finished": finished, "hashes": hashes, "size": len(plan[2][1])}), flush=True)
"""


def run_writer(batch: Path, *, pause: float, with_done: bool) -> dict[str, object]:
    process = subprocess.run(
        [sys.executable, "-c", WRITER, str(batch), str(pause), "done" if with_done else "plain"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def test_a_batch_being_written_is_never_taken_early(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    recorder = Recorder()
    watcher = HotFolderWatcher(
        root, [PROFILE], on_ready=recorder, settle_for={PROFILE: 1.0}, check_interval_s=0.25
    )
    with watching(watcher):
        started = time.time()
        written = run_writer(root / PROFILE / "box-1", pause=0.075, with_done=False)
        assert written["size"] > 8_000_000  # type: ignore[operator]
        assert time.time() - started > 2.0, "the writer should take seconds"
        assert recorder.wait(1, timeout=30), "the finished batch was never picked up"
        time.sleep(0.5)
    (called_at, batch, hashes), *more = recorder.calls
    finished = float(written["finished"])  # type: ignore[arg-type]
    assert called_at > finished, "on_ready was called before the writer had finished"
    assert not more, "the batch was offered more than once"
    assert hashes == written["hashes"]
    assert not batch.problems and batch.marker is None
    assert (root / "_done" / PROFILE / "box-1" / "folder-02" / "scan_0003.tif").is_file()


def test_batch_done_makes_a_batch_ready_without_settling(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    recorder = Recorder()
    watcher = HotFolderWatcher(
        root, [PROFILE], on_ready=recorder, settle_for={PROFILE: 60.0}, check_interval_s=0.25
    )
    with watching(watcher):
        written = run_writer(root / PROFILE / "box-2", pause=0.05, with_done=True)
        assert recorder.wait(1, timeout=20), "batch.done did not make the batch ready"
    (called_at, batch, hashes), *more = recorder.calls
    assert not more
    finished = float(written["finished"])  # type: ignore[arg-type]
    assert finished < called_at < finished + 20, "ready soon after batch.done, well before 60 s"
    assert hashes == written["hashes"] and not batch.problems
    assert batch.marker is not None and batch.marker.operator == "Nguyễn Văn A"
    assert batch.marker.station == "scanner-02" and len(batch.marker.checksums) == 3


def test_polling_mode_finds_a_new_batch_without_native_events(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    recorder = Recorder()
    native = HotFolderWatcher(root, [PROFILE], on_ready=recorder, settle_for={PROFILE: 0.3})
    assert not isinstance(native.observer, PollingObserver), "native mode uses OS events here"
    watcher = HotFolderWatcher(
        root,
        [PROFILE],
        on_ready=recorder,
        settle_for={PROFILE: 0.3},
        mode="polling",
        poll_interval_s=0.25,
        rescan_interval_s=3600,  # so only the polling observer can notice the new batch
        check_interval_s=0.2,
    )
    assert type(watcher.observer) is PollingObserver
    assert watcher.observer.emitters and all(
        type(emitter) is PollingEmitter for emitter in watcher.observer.emitters
    )
    staging = tmp_path / "staging" / "box-3"
    put(staging / "scan_0001.png", image_bytes("PNG"))
    with watching(watcher):
        assert watcher.events_seen == 0
        staging.rename(root / PROFILE / "box-3")  # a scanner's atomic drop
        assert recorder.wait(1, timeout=20), "polling did not notice the new batch"
    assert watcher.events_seen > 0, "detected through the polling observer's events"
    assert recorder.calls[0][1].batch_dir == root.resolve() / PROFILE / "box-3"


def test_start_up_rescan_takes_batches_dropped_while_down(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    put(root / PROFILE / "box-4" / "f1" / "scan_0001.png", image_bytes("PNG", seed=1))
    put(root / PROFILE / "box-4" / "f2" / "scan_0002.png", image_bytes("PNG", seed=2))
    loose = put(root / PROFILE / "scan_0099.png", image_bytes("PNG"))
    put(root / "_done" / PROFILE / "box-0" / "scan_0001.png", image_bytes("PNG"))
    recorder = Recorder()
    watcher = HotFolderWatcher(
        root,
        [PROFILE, "text-bw"],
        on_ready=recorder,
        settle_for=lambda profile: 0.3,
        rescan_interval_s=3600,
        check_interval_s=0.2,
    )
    assert (root / "text-bw").is_dir(), "missing hot folders are created"
    with watching(watcher):
        assert recorder.wait(1, timeout=20), "the batch present at start-up was not taken"
        time.sleep(0.5)
    assert [call[1].batch_dir.name for call in recorder.calls] == ["box-4"]
    assert set(recorder.calls[0][2]) == {"f1/scan_0001.png", "f2/scan_0002.png"}
    assert loose.is_file(), "a loose file is left where it is"
    assert check_loose_files(root, watcher.profiles) == [loose]
    assert (root / "_done" / PROFILE / "box-0" / "scan_0001.png").is_file()


def test_a_batch_left_in_place_is_offered_again_only_after_a_change_or_rescan(
    tmp_path: Path,
) -> None:
    root = tmp_path / "hotfolders"
    batch = root / PROFILE / "box-5"
    put(batch / "scan_0001.png", image_bytes("PNG"))
    (batch / "batch.done").write_bytes(b"")
    recorder = Recorder(move=False)
    watcher = HotFolderWatcher(
        root,
        [PROFILE],
        on_ready=recorder,
        settle_for={PROFILE: 60},
        rescan_interval_s=3600,
        check_interval_s=0.1,
    )
    with watching(watcher):
        assert recorder.wait(1, timeout=20)
        time.sleep(1.0)
        assert len(recorder.calls) == 1, "no tight loop over a batch left in place"
        put(batch / "scan_0002.png", image_bytes("PNG", seed=2))
        assert recorder.wait(2, timeout=20), "a change offers the batch again"
        assert len(recorder.calls[1][1].files) == 2
        time.sleep(0.5)
        assert len(recorder.calls) == 2
        watcher.rescan()
        assert recorder.wait(3, timeout=20), "a rescan offers it again"


def test_files_arriving_while_a_batch_is_in_hand_are_not_hidden_in_done(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    batch = root / PROFILE / "box-8"
    put(batch / "scan_0001.png", image_bytes("PNG", seed=1))
    (batch / "batch.done").write_bytes(b"")
    seen: list[list[str]] = []

    def on_ready(ready: ReadyBatch) -> None:
        seen.append([path.name for path in ready.files])
        if len(seen) == 1:  # the scanner adds a page while the batch is being taken in
            put(batch / "scan_0002.png", image_bytes("PNG", seed=2))
        move_to_done(ready.batch_dir, ready.hot_root, expected_files=ready.files)

    watcher = HotFolderWatcher(
        root, [PROFILE], on_ready=on_ready, settle_for={PROFILE: 60}, check_interval_s=0.1
    )
    with watching(watcher):
        deadline = time.monotonic() + 20
        while batch.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert seen == [["scan_0001.png"], ["scan_0001.png", "scan_0002.png"]]
    assert (root / "_done" / PROFILE / "box-8" / "scan_0002.png").is_file()


def test_watcher_from_settings_uses_the_settings_and_profiles(
    settings: StationSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATION_HOTFOLDERS", str(tmp_path / "hot"))
    monkeypatch.setenv("STATION_WATCH_MODE", "polling")
    monkeypatch.setenv("STATION_POLL_INTERVAL_S", "5")
    configured = load_settings()
    watcher = HotFolderWatcher.from_settings(configured, on_ready=lambda batch: None)
    assert PROFILE in watcher.profiles and (tmp_path / "hot" / PROFILE).is_dir()
    assert watcher.mode == "polling" and type(watcher.observer) is PollingObserver
    assert watcher.observer.timeout == 5
    assert watcher.rescan_interval_s == configured.rescan_interval_s


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main thread"
)
def test_sigterm_stops_after_the_batch_in_hand(tmp_path: Path) -> None:
    root = tmp_path / "hotfolders"
    for name in ("box-6", "box-7"):
        put(root / PROFILE / name / "scan_0001.png", image_bytes("PNG"))
        (root / PROFILE / name / "batch.done").write_bytes(b"")
    finished: list[str] = []

    def on_ready(batch: ReadyBatch) -> None:
        signal.raise_signal(signal.SIGTERM)
        time.sleep(0.5)  # the batch in hand is finished, not abandoned
        move_to_done(batch.batch_dir, batch.hot_root)
        finished.append(batch.batch_dir.name)

    watcher = HotFolderWatcher(
        root, [PROFILE], on_ready=on_ready, settle_for={PROFILE: 60}, check_interval_s=0.1
    )
    safety_net = threading.Timer(20, watcher.stop)  # never hang the test run
    restore = install_signal_handlers(watcher)
    try:
        safety_net.start()
        started = time.monotonic()
        watcher.run_until_stopped()  # in the main thread, as `station watch` runs it
        assert time.monotonic() - started < 15, "SIGTERM did not stop the watcher"
    finally:
        safety_net.cancel()
        restore()
    assert watcher.stopping and finished == ["box-6"]
    assert (root / PROFILE / "box-7" / "scan_0001.png").is_file()
