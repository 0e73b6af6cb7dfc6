"""One page as a PDF: the page image, embedded as is, with Tesseract's invisible text over it.

Built on img2pdf (the image is embedded without re-encoding) and pikepdf (the overlay).
Every page worker imports this module; PDF/A assembly, which only the batch's finisher
needs, is in `station.pipeline.pdfa`, so that its validator (fontTools, jsonschema: 0.3 s
of imports) does not slow the start of every worker.
"""

from __future__ import annotations

import io
from pathlib import Path

import img2pdf
import pikepdf
from pikepdf import Name

from station.errors import OutputError
from station.i18n import _

_TEXT_LAYER = Name("/OCRText")


# --- one page ------------------------------------------------------------------------------


def make_page_pdf(image_path: Path, dpi: float, text_layer_pdf: bytes | None, out: Path) -> Path:
    """Write a one-page PDF: the page image as is, with Tesseract's invisible text over it.

    The page is sized from the image's pixels and `dpi`, so it has the scan's physical
    size. The text layer is drawn as a form XObject stretched onto the whole page: its
    page was sized from the OCR image, which can differ from ours by a rounding step
    (or have been upscaled for OCR), and stretching keeps every word on its ink.
    """
    try:
        layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        image_pdf = img2pdf.convert(str(image_path), layout_fun=layout)
    except (OSError, ValueError, img2pdf.ImageOpenError) as exc:
        raise OutputError(
            _(
                "%(name)s: cannot embed the page image in a PDF: %(exc)s",
                name=image_path.name,
                exc=exc,
            )
        ) from exc
    try:
        with pikepdf.open(io.BytesIO(image_pdf)) as pdf:
            page = pdf.pages[0]
            if text_layer_pdf is not None:
                _overlay_text_layer(pdf, page, text_layer_pdf, image_path.name)
            # Only the page matters; img2pdf's DocInfo would be dropped on assembly anyway.
            if Name.Info in pdf.trailer:
                del pdf.trailer[Name.Info]
            # The image stream is copied as is (no decoding); our small streams are
            # compressed. Object streams are left to the PDF/A save, which knows the flavour.
            pdf.save(
                out,
                compress_streams=True,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
            )
    except pikepdf.PdfError as exc:
        raise OutputError(
            _(
                "%(name)s: cannot write the page PDF for %(name2)s: %(exc)s",
                name=out.name,
                name2=image_path.name,
                exc=exc,
            )
        ) from exc
    return out


def _overlay_text_layer(
    pdf: pikepdf.Pdf, page: pikepdf.Page, text_layer_pdf: bytes, image_name: str
) -> None:
    """Stretch the text page onto `page` as a form XObject drawn after (over) the image.

    The text is in render mode 3 (invisible), so drawing it over the image hides
    nothing; it is wrapped in q/Q so no graphics state leaks into the page.
    """
    try:
        with pikepdf.open(io.BytesIO(text_layer_pdf)) as text_pdf:
            if len(text_pdf.pages) != 1:
                raise OutputError(
                    _(
                        "%(image_name)s: the OCR text layer has %(n_pages)s pages, not 1",
                        image_name=image_name,
                        n_pages=len(text_pdf.pages),
                    )
                )
            text_page = text_pdf.pages[0]
            tx0, ty0, tx1, ty1 = (float(v) for v in text_page.mediabox)
            form = pdf.copy_foreign(text_page.as_form_xobject())
    except pikepdf.PdfError as exc:
        raise OutputError(
            _(
                "%(image_name)s: the OCR text layer is not a readable PDF: %(exc)s",
                image_name=image_name,
                exc=exc,
            )
        ) from exc
    px0, py0, px1, py1 = (float(v) for v in page.mediabox)
    if tx1 <= tx0 or ty1 <= ty0:
        raise OutputError(
            _("%(image_name)s: the OCR text layer has an empty page", image_name=image_name)
        )
    sx, sy = (px1 - px0) / (tx1 - tx0), (py1 - py0) / (ty1 - ty0)
    if not (0.98 < sx / sy < 1.02):
        # Not a rounding difference: the text layer belongs to another image.
        raise OutputError(
            _(
                "%(image_name)s: the OCR text layer's page shape does not match the image "
                "(%(text_width)sx%(text_height)s pt against %(image_width)sx%(image_height)s pt)",
                image_name=image_name,
                text_width=f"{tx1 - tx0:.1f}",
                text_height=f"{ty1 - ty0:.1f}",
                image_width=f"{px1 - px0:.1f}",
                image_height=f"{py1 - py0:.1f}",
            )
        )
    resources = page.obj.get(Name.Resources)
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    if Name.XObject not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[_TEXT_LAYER] = form
    ex, ey = px0 - tx0 * sx, py0 - ty0 * sy
    draw = f"q {sx:.6f} 0 0 {sy:.6f} {ex:.4f} {ey:.4f} cm {_TEXT_LAYER} Do Q\n".encode()
    page.contents_add(pdf.make_stream(draw), prepend=False)
