"""One section of docs/benchmarks.md rewritten by the benchmark that measured it."""

from __future__ import annotations

from pathlib import Path


def replace_section(doc: Path, heading: str, text: str) -> None:
    """Put `text` (starting with `heading`) in place of that section, or at the end."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if heading in current:
        head, _, tail = current.partition(heading)
        rest = tail.split("\n## ", 1)
        current = head + text + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    doc.write_text(current, encoding="utf-8")
