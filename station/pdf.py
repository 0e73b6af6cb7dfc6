"""PDF work: one page (image + invisible text layer), and the batch's PDF/A with its XMP.

Built on img2pdf (the page image is embedded without re-encoding) and pikepdf (overlay,
metadata, PDF/A declaration and pikepdf's own PDF/A validation on save).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class DocumentMetadata:
    """Dublin Core fields written into the XMP of an output PDF."""

    title: str
    date: datetime
    language: str = "vi"
    creator: str = ""
    description: str = ""
    identifier: str = ""
    producer: str = "station"


def make_page_pdf(image_path: Path, dpi: float, text_layer_pdf: bytes | None, out: Path) -> Path:
    raise NotImplementedError


def assemble_pdfa(page_pdfs: list[Path], out: Path, metadata: DocumentMetadata, *, pdfa: str) -> None:
    raise NotImplementedError
