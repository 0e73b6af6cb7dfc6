"""The demo's scanning room: a manifest of two folders (hồ sơ) and the demo batch of scans
arranged as one subfolder per folder id, as a scanner's software can deliver it.

    python scripts/make_demo_room.py samples/demo-batch samples/demo-manifest.csv
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import make_samples

MANIFEST = """\
Mã phông;Mục lục số;Hộp số;Hồ sơ số;Mã hồ sơ;Tiêu đề hồ sơ;Ngày bắt đầu;Ngày kết thúc;\
Thời hạn bảo quản;Chế độ sử dụng;Số lượng tờ;Ngôn ngữ;Độ mật
05;1;1;1;05-01-001;Công văn, báo cáo về công tác văn thư, lưu trữ năm 2019;01/2019;12/2019;\
Vĩnh viễn;Hạn chế;4;vi;
05;1;1;2;05-01-002;Hồ sơ hội nghị tổng kết công tác năm 2019;2019;2019;20 năm;Công khai;5;vi;
05;1;2;1;05-02-001;Kế hoạch công tác năm 2020;2020;2020;10 năm;Công khai;3;vi;
"""
FOLDERS = ("05-01-001", "05-01-002")  # the demo's 8 files: 4 in each; 05-02-001 is not scanned


def make_room(batch_dir: Path, manifest: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        files = Path(scratch) / "scans"
        make_samples.make_batch(files, seed=7, sample_set="demo")
        scans = sorted(p for p in files.iterdir() if p.name.startswith("scan_"))
        for number, scan in enumerate(scans):
            target = batch_dir / FOLDERS[0 if number < len(scans) // 2 else 1]
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(scan, target / scan.name)
    manifest.write_text(MANIFEST, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batch_dir", type=Path)
    parser.add_argument("manifest", type=Path)
    args = parser.parse_args()
    make_room(args.batch_dir, args.manifest)
    print(f"wrote {args.batch_dir} (one subfolder per folder) and {args.manifest}")


if __name__ == "__main__":
    main()
