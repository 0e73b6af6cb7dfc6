"""The visible signature on page 1 (TT 01/2019): the body's seal at its real size, its name and
the signing time, at the top right of the page as shown; drawn so the file stays PDF/A-2b.

pyHanko's text stamp does the drawing. What PDF/A needs beyond it is here: a font whose
glyph widths agree with its program (pyHanko writes them in the font's units, so a font of
1000 units per em), the seal as RGB under the files' sRGB output intent, and the whole
appearance turned with a first page a reviewer turned.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from station.errors import ConfigError
from station.i18n import _

# Noto Sans has 1000 units per em: pyHanko writes /W in the font's own units, which agree
# with the embedded program (PDF/A-2 6.2.11.5) only then; DejaVu's 2048 fail the check.
FONT = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
FONT_SIZE = 8
MARGIN_PT = 5 / 25.4 * 72  # 5 mm from the page's edges
TEXT_WIDTH_PT = 190.0
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # how pyHanko hands us the signing time, read back
_STAMP_TEXT = "Ký bởi: %(org)s\nThời gian ký: %(ts)s"


# What the appearance writes: Latin, Vietnamese (precomposed, NFC), digits and punctuation.
_FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F))


def reduced_font(target: Path) -> Path:
    """Noto Sans cut to the characters the appearance writes, without its layout tables:
    pyHanko subsets the font for every file it signs, and decompiling Noto's full layout
    tables took 60% of the time per file (precomposed Vietnamese needs none of them)."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    font = subset.load_font(str(FONT), options)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for low, high in _FONT_RANGES for c in range(low, high + 1)])
        subsetter.subset(font)
        subset.save_font(font, str(target), options)
    finally:
        font.close()
    return target


def appearance_style(
    seal: Path, seal_mm: float | None, zone: str, font: Path
) -> tuple[Any, float, float]:
    """The stamp: the seal at its real size on the left, the body's name and the signing time
    (in `zone`) on the right; with its width and height in points."""
    from PIL import Image, UnidentifiedImageError
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.text import TextBoxStyle

    try:
        image: Image.Image = Image.open(seal)
        image.load()
    except (OSError, UnidentifiedImageError) as exc:
        raise ConfigError(
            _("Seal image %(seal)s: cannot read it as a PNG: %(exc)s", seal=seal, exc=exc)
        ) from exc
    if image.format != "PNG":
        raise ConfigError(
            _(
                "Seal image %(seal)s: a PNG is needed, found %(format)s",
                seal=seal,
                format=image.format,
            )
        )
    if seal_mm is not None:
        width = seal_mm / 25.4 * 72
    elif image.info.get("dpi") and float(image.info["dpi"][0]) > 1:
        width = image.width / float(image.info["dpi"][0]) * 72
    else:
        raise ConfigError(
            _(
                "Seal image %(seal)s carries no DPI, so its real size is unknown: save it with "
                "its resolution, or set signing_seal_mm (STATION_SIGNING_SEAL_MM) to its width",
                seal=seal,
            )
        )
    height = width * image.height / image.width
    # The output intent is sRGB: the seal goes in as RGB (its alpha as a soft mask).
    image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info
                          else "RGB")  # fmt: skip
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            _("signing_timezone %(zone)r is not a known time zone", zone=zone)
        ) from exc
    style = _stamp_classes()[0](
        stamp_text=_STAMP_TEXT,
        timestamp_format=_TS_FORMAT,
        zone=zone,
        text_box_style=TextBoxStyle(font=_stamp_classes()[2](str(font)), font_size=FONT_SIZE),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MAX,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=round(width) + 4, right=2),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
        background=PdfImage(image, box=layout.BoxConstraints(width=width, height=height)),
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
        background_opacity=1.0,
        border_width=0,
    )
    return style, width + 4 + TEXT_WIDTH_PT, height


def opaque(style: Any) -> Any:
    """The style with its seal flattened onto white: PDF/A-1 allows no soft mask."""
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage

    seal = style.background
    if seal.image.mode != "RGBA":
        return style
    flat = Image.new("RGBA", seal.image.size, (255, 255, 255, 255))
    flat.alpha_composite(seal.image)
    return dataclasses.replace(style, background=PdfImage(flat.convert("RGB"), box=seal.box))


@functools.cache
def _stamp_classes() -> tuple[type, type, type]:
    """pyHanko's text stamp, with the signing time in the body's time zone and the whole
    appearance turned with a page the reviewer turned (so it reads upright at top right);
    and its font engine writing the ToUnicode map one character a line (bfchar), which the
    suite's PDF/A-2u check reads (pyHanko's bfrange arrays it calls malformed)."""
    from pyhanko.pdf_utils import generic, layout
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.stamp import TextStamp, TextStampStyle

    @dataclass(frozen=True)
    class LocalTimeStampStyle(TextStampStyle):
        zone: str = "UTC"
        rotate: int = 0

        def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> Any:
            when = datetime.strptime(text_params["ts"], _TS_FORMAT).astimezone(ZoneInfo(self.zone))
            offset = when.strftime("%z")
            shown = f"{when:%d/%m/%Y %H:%M:%S} {offset[:3]}:{offset[3:]}"
            if self.rotate in (90, 270):
                box = layout.BoxConstraints(width=box.height, height=box.width)
            return TurnedStamp(
                writer=writer, style=self, box=box, text_params={**text_params, "ts": shown}
            )

    class TurnedStamp(TextStamp):
        def as_form_xobject(self) -> Any:
            xobject = super().as_form_xobject()
            turn = self.style.rotate
            if turn:
                matrix = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}[turn]
                numbers = [generic.NumberObject(v) for v in (*matrix, 0, 0)]  # type: ignore[no-untyped-call]
                xobject["/Matrix"] = generic.ArrayObject(numbers)
            return xobject

    @dataclass(frozen=True)
    class PlainCMapFont(GlyphAccumulatorFactory):
        def create_font_engine(self, writer: Any, obj_stream: Any = None) -> Any:
            engine = super().create_font_engine(writer, obj_stream)
            engine._format_tounicode_cmap = types.MethodType(_bfchar_cmap, engine)  # type: ignore[method-assign]
            engine.prepare_write = functools.partial(_with_cidset, engine, engine.prepare_write)  # type: ignore[method-assign]
            return engine

    return LocalTimeStampStyle, TurnedStamp, PlainCMapFont


def _with_cidset(engine: Any, prepare_write: Any) -> None:
    """pyHanko's font embedding, plus the /CIDSet of the subset PDF/A-1 asks for (and
    PDF/A-2 accepts when it is right): a bit per CID the subset holds, .notdef included."""
    from pyhanko.pdf_utils import generic

    prepare_write()
    engine.tt.close()  # embedded now; pyHanko leaves the font file open
    descriptor = engine.cidfont_obj._font_descriptor
    if "/CIDSet" in descriptor:
        return
    cids = {0, *(cid for cid, _ in engine._glyphs.values())}
    bits = bytearray(max(cids) // 8 + 1)
    for cid in cids:
        bits[cid // 8] |= 0x80 >> (cid % 8)
    stream = generic.StreamObject(stream_data=bytes(bits))
    stream.compress()  # type: ignore[no-untyped-call]
    descriptor["/CIDSet"] = engine.writer.add_object(stream)


def _bfchar_cmap(engine: Any) -> Any:
    """The glyph accumulator's ToUnicode CMap with a bfchar line per glyph (100 a block)."""
    from pyhanko.pdf_utils import generic

    pairs = sorted(engine._cid_to_unicode.items())
    blocks = [pairs[n : n + 100] for n in range(0, len(pairs), 100)]
    body = "".join(
        f"{len(block)} beginbfchar\n"
        + "".join(f"<{cid:04x}> <{text.encode('utf-16be').hex()}>\n" for cid, text in block)
        + "endbfchar\n"
        for block in blocks
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    stream = generic.StreamObject(stream_data=cmap.encode("ascii"))
    stream.compress()  # type: ignore[no-untyped-call]
    return stream


def field_box(page: Any, width: float, height: float) -> tuple[tuple[int, int, int, int], int]:
    """The appearance's rectangle at the top right of the page as it is shown (its /Rotate
    taken into account), in the page's own coordinates; and the rotation."""
    box = [float(v) for v in (page.get("/CropBox") or page["/MediaBox"])]
    x0, y0, x1, y1 = (
        min(box[0], box[2]),
        min(box[1], box[3]),
        max(box[0], box[2]),
        max(box[1], box[3]),
    )
    turn = int(page.get("/Rotate", 0)) % 360
    m = MARGIN_PT
    rects = {
        0: (x1 - m - width, y1 - m - height, x1 - m, y1 - m),
        90: (x0 + m, y1 - m - width, x0 + m + height, y1 - m),
        180: (x0 + m, y0 + m, x0 + m + width, y0 + m + height),
        270: (x1 - m - height, y0 + m, x1 - m, y0 + m + width),
    }
    left, bottom, right, top = rects.get(turn, rects[0])
    outer = (math.floor(left), math.floor(bottom), math.ceil(right), math.ceil(top))
    return outer, turn if turn in rects else 0
