"""Scanning profiles: how one kind of material is scanned, cleaned, read and rendered.

A profile is a TOML file in the profiles folder, validated here once and then passed,
frozen, to every page job. Unknown keys and out-of-range values are refused with the
file, the key and the allowed values named, because a typo in a profile would
otherwise silently fall back to a default across a whole backlog.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from station.errors import ConfigError, UnknownProfileError
from station.i18n import _

DEFAULT_PROFILE = "text-gray-300"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScanSettings(_Section):
    min_dpi: Annotated[
        int,
        Field(
            ge=72, le=1200, description="Pages scanned below this resolution are flagged low_dpi"
        ),
    ] = 200
    assumed_dpi: Annotated[
        int,
        Field(ge=72, le=1200, description="Resolution to assume when a file does not record one"),
    ] = 300
    duplex: Annotated[
        bool,
        Field(description="Both sides of each sheet are scanned: sheets counted are pages / 2"),
    ] = False
    settle_s: Annotated[
        float,
        Field(
            ge=0.0,
            le=3600.0,
            description="A hot-folder batch without batch.done is ready after no file in it "
            "has changed for this many seconds",
        ),
    ] = 10.0
    detect_separators: Annotated[
        bool, Field(description="Look for separator sheets (QR) that start a new folder")
    ] = True


class ImageSettings(_Section):
    color: Annotated[
        Literal["bw", "gray", "color"],
        Field(description="Colour of the page image kept in the PDF: bilevel, grayscale or colour"),
    ] = "gray"
    compression: Annotated[
        Literal["jpeg", "ccitt-g4", "lossless"],
        Field(description="How the page image is compressed in the PDF"),
    ] = "jpeg"
    jpeg_quality: Annotated[
        int, Field(ge=30, le=100, description="JPEG quality when compression is jpeg")
    ] = 80
    preview_px: Annotated[
        int, Field(ge=400, le=4000, description="Long side of the web preview, in pixels")
    ] = 1600
    thumbnail_px: Annotated[
        int, Field(ge=64, le=800, description="Long side of the thumbnail, in pixels")
    ] = 256


class OrientationSettings(_Section):
    enabled: Annotated[bool, Field(description="Turn pages upright (0/90/180/270)")] = True
    min_confidence: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="Below this, the quick orientation test asks Tesseract OSD as well",
        ),
    ] = 0.6


class DeskewSettings(_Section):
    enabled: Annotated[bool, Field(description="Measure and correct skew")] = True
    max_angle: Annotated[
        float, Field(gt=0.0, le=45.0, description="Largest skew searched for, in degrees")
    ] = 10.0
    min_angle: Annotated[
        float,
        Field(ge=0.0, le=5.0, description="Skew smaller than this is measured but not corrected"),
    ] = 0.05


class CleanSettings(_Section):
    crop_borders: Annotated[bool, Field(description="Crop dark scanner borders")] = True
    normalize_exposure: Annotated[
        bool, Field(description="Even out uneven light, too-dark and too-light scans")
    ] = True
    max_gain: Annotated[
        float,
        Field(
            ge=1.0, le=10.0, description="Largest contrast stretch exposure correction may apply"
        ),
    ] = 4.0


class AssessSettings(_Section):
    blur_threshold: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="Pages whose text sharpness (0 blurred to 1 sharp) falls below are flagged",
        ),
    ] = 0.35
    too_dark: Annotated[
        int,
        Field(ge=0, le=255, description="Paper darker than this gray level is flagged too_dark"),
    ] = 130
    too_light: Annotated[
        int,
        Field(ge=0, le=255, description="Ink lighter than this gray level is flagged too_light"),
    ] = 150
    blank_threshold: Annotated[
        float,
        Field(ge=0.0, le=1.0, description="Blank-page probability above which a page is blank"),
    ] = 0.8
    possible_blank_threshold: Annotated[
        float,
        Field(
            ge=0.0, le=1.0, description="Probability above which a page is flagged possible_blank"
        ),
    ] = 0.4


class OcrSettings(_Section):
    languages: Annotated[
        list[str], Field(min_length=1, description="Tesseract language packs, in order")
    ] = Field(default_factory=lambda: ["vie", "eng"])
    page_segmentation: Annotated[
        int, Field(ge=0, le=13, description="Tesseract page segmentation mode (--psm)")
    ] = 3
    ocr_dpi: Annotated[
        int,
        Field(
            ge=150,
            le=600,
            description="Resolution Tesseract reads the page at (resampled for OCR only; the "
            "kept image is not changed)",
        ),
    ] = 250
    latin_line_share: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="When the first language is vie: read with vie alone, and read the "
            "page again with all the languages only when at least this share of its lines hold "
            "letters Vietnamese does not use (f, j, w, z); 0 reads every page with all of them",
        ),
    ] = 0.25
    low_confidence: Annotated[
        float,
        Field(ge=0.0, le=100.0, description="Mean word confidence below which a page is flagged"),
    ] = 70.0
    timeout_s: Annotated[
        float, Field(gt=0.0, le=3600.0, description="Longest Tesseract may take on one page")
    ] = 300.0


class PdfSettings(_Section):
    pdfa: Annotated[
        Literal["1b", "2b", "2u", "3b"], Field(description="PDF/A part and conformance level")
    ] = "2b"
    language: Annotated[str, Field(description="dc:language of the documents (BCP 47)")] = "vi"


class DocumentSettings(_Section):
    enabled: Annotated[
        bool,
        Field(
            description="Find the documents (văn bản) in each folder, read their fields and "
            "secrecy stamps, and write a PDF/A per document"
        ),
    ] = True
    confidence_threshold: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="A document field read with less confidence than this must be "
            "confirmed by a reviewer before its folder can be approved",
        ),
    ] = 0.85
    boundary_threshold: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="A document start (or continuation) decided with less confidence "
            "than this is flagged document_boundary_uncertain",
        ),
    ] = 0.8


class ScanProfile(_Section):
    """One validated profile; every section has safe defaults."""

    name: str
    description: str = ""
    scan: ScanSettings = ScanSettings()
    image: ImageSettings = ImageSettings()
    orientation: OrientationSettings = OrientationSettings()
    deskew: DeskewSettings = DeskewSettings()
    clean: CleanSettings = CleanSettings()
    assess: AssessSettings = AssessSettings()
    ocr: OcrSettings = OcrSettings()
    pdf: PdfSettings = PdfSettings()
    documents: DocumentSettings = DocumentSettings()


def list_profiles(profiles_dir: Path) -> list[str]:
    return sorted(p.stem for p in profiles_dir.glob("*.toml"))


def load_profile(name: str, profiles_dir: Path) -> ScanProfile:
    """Read and validate `profiles_dir/<name>.toml`."""
    path = profiles_dir / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(list_profiles(profiles_dir)) or "none"
        raise UnknownProfileError(
            _(
                "Unknown profile '%(name)s': there is no %(path)s. Profiles available: %(known)s.",
                name=name,
                path=path,
                known=known,
            )
        )
    return parse_profile(path)


def parse_profile(path: Path) -> ScanProfile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            _("%(path)s: cannot read the profile: %(exc)s", path=path, exc=exc)
        ) from exc
    raw.setdefault("name", path.stem)
    try:
        return ScanProfile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(
            _("%(path)s: invalid profile: %(problems)s", path=path, problems=problems)
        ) from exc


def _describe(error: Any) -> str:
    """One validation error as a sentence naming the key and the allowed values."""
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(loc)
    value = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        section = _model_at(loc[:-1])
        allowed = ", ".join(section.model_fields) if section else "none"
        return f"unknown key '{key}' (allowed here: {allowed})"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"key '{key}' = {value!r} is out of range (allowed {_range_of(loc)})"
    if kind == "literal_error":
        return f"key '{key}' = {value!r} is not allowed (allowed {error['ctx']['expected']})"
    return f"key '{key}' = {value!r}: {error['msg']}"


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = ScanProfile
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _range_of(loc: tuple[str, ...]) -> str:
    model = _model_at(loc[:-1])
    field: FieldInfo | None = model.model_fields.get(loc[-1]) if model else None
    low = high = None
    low_sym, high_sym = ">=", "<="
    for meta in field.metadata if field else []:
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "gt", None) is not None:
            low, low_sym = meta.gt, ">"
        if getattr(meta, "le", None) is not None:
            high = meta.le
        if getattr(meta, "lt", None) is not None:
            high, high_sym = meta.lt, "<"
    if low is not None and high is not None:
        return f"{low_sym} {low} and {high_sym} {high}"
    if low is not None:
        return f"{low_sym} {low}"
    return f"{high_sym} {high}"
