"""The digitizing body's digital signature on every exported PDF/A (issue 15).

NĐ 30/2020 Annex I and TT 01/2019 (standards.md 5.1) make a digitized copy valid only when
the body that digitized it signs the file, the signature shown at the top right of the first
page: the body's seal at its real size, its name and the signing time. pyHanko makes the
PAdES signature (B-B; B-T with a timestamp server; B-LT when revocation information is
supplied or may be fetched) as an incremental update, so the PDF/A below stays byte for byte
what it was (pyHanko would rewrite the XMP: kept as it was; B-LT's validation data goes into
the signed revision, so the signature covers the whole file). The appearance is drawn by
`station.export.appearance`; reading and checking signatures is `station.export.signatures`.

One `Signing` per export run: a USB token allows one session and may take seconds per
signature, so it is opened once and the files are signed in sequence.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from station.errors import ConfigError, MissingToolError, OutputError
from station.export import appearance, signatures
from station.i18n import N_, _
from station.settings import StationSettings

log = logging.getLogger(__name__)

FIELD_NAME = "Signature-station"


@dataclass(frozen=True)
class SignerFacts:
    """What `station signing check` reports about the configured signer."""

    kind: str  # "PKCS#12 file x" or "PKCS#11 token y"
    subject: str
    issuer: str
    serial: str
    not_after: datetime
    seal_mm: tuple[float, float]
    level: str


# --- the signer ----------------------------------------------------------------------------------


def _first_line(path: Path, what: str) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            _(
                "%(what)s file %(path)s: cannot read it: %(exc)s",
                what=_(what),
                path=path,
                exc=exc,
            )
        ) from exc
    if not lines or not lines[0]:
        raise ConfigError(_("%(what)s file %(path)s is empty", what=_(what), path=path))
    return lines[0]


class Signing:
    """An open signer for one export run: the key (file or token session), the appearance,
    the timestamp server and the validation context, made once."""

    def __init__(self, settings: StationSettings, signer: Any, kind: str, scratch: Path) -> None:
        from pyhanko.sign.timestamps.requests_client import HTTPTimeStamper

        if not settings.organization.strip():
            raise ConfigError(
                _(
                    "Signing shows the body's name on page 1: set organization "
                    "(STATION_ORGANIZATION)"
                )
            )
        if settings.signing_seal is None:
            raise ConfigError(_("Signing needs the body's seal: set signing_seal (a PNG)"))
        self.settings = settings
        self.signer = signer
        self.kind = kind
        self.organization = unicodedata.normalize("NFC", settings.organization.strip())
        if not appearance.FONT.is_file():
            raise MissingToolError(
                _(
                    "%(font)s is missing: install fonts-noto-core (scripts/setup)",
                    font=appearance.FONT,
                )
            )
        self.style, self.width, self.height = appearance.appearance_style(
            settings.signing_seal,
            settings.signing_seal_mm,
            settings.signing_timezone,
            appearance.reduced_font(scratch / "appearance.ttf"),
        )
        self.timestamper = (
            HTTPTimeStamper(settings.signing_tsa_url, timeout=30)  # type: ignore[no-untyped-call]
            if settings.signing_tsa_url
            else None
        )
        fetch = settings.signing_fetch_revocation
        self.context = signatures.validation_context(settings, fetch=fetch)
        self.long_term = self.context is not None and bool(settings.signing_crls or fetch)
        cert = signer.signing_cert
        if cert is None:
            raise ConfigError(_("%(kind)s: no signing certificate found", kind=kind))
        self.certificate = cert
        # What a signed file depends on: a change of certificate, seal, name, time zone or
        # level signs again rather than reusing a copy signed otherwise.
        facts = [cert.dump(), settings.signing_seal.read_bytes(), self.organization.encode(),
                 settings.signing_timezone.encode(), self.level.encode()]  # fmt: skip
        self.fingerprint = hashlib.sha256(b"\0".join(facts)).hexdigest()
        not_after = cert.not_valid_after
        if not_after < datetime.now(UTC):
            raise ConfigError(
                _(
                    "%(kind)s: the signing certificate (%(subject_name)s) expired on %(not_after)s",
                    kind=kind,
                    subject_name=signatures.subject_name(cert),
                    not_after=f"{not_after:%Y-%m-%d}",
                )
            )

    @functools.cached_property
    def opaque_style(self) -> Any:
        return appearance.opaque(self.style)

    @property
    def level(self) -> str:
        return "B-LT" if self.long_term else "B-T" if self.timestamper else "B-B"

    def facts(self) -> SignerFacts:
        cert = self.certificate
        background = self.style.background
        return SignerFacts(
            kind=self.kind,
            subject=signatures.subject_name(cert),
            issuer=signatures.cert_name(cert, "issuer"),
            serial=signatures.serial_number(cert),
            not_after=cert.not_valid_after,
            seal_mm=(background.box.width / 72 * 25.4, background.box.height / 72 * 25.4),
            level=self.level,
        )

    def sign_stream(self, source: IO[bytes], target: IO[bytes], name: str) -> None:
        """Sign the PDF read from `source` into `target` (an incremental update)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.misc import PdfError
        from pyhanko.sign import fields, signers
        from pyhanko.sign.general import SigningError
        from pyhanko.sign.signers import pdf_signer

        try:
            writer = _keeping_metadata(IncrementalPdfFileWriter)(source, strict=False)
            page = writer.root["/Pages"]["/Kids"][0].get_object()
            while "/Kids" in page:
                page = page["/Kids"][0].get_object()
            _check_output_intent(writer.root, name)
            style = self.opaque_style if _pdfa_part(writer.root) == 1 else self.style
            box, turn = appearance.field_box(page, self.width, self.height)
            meta = signers.PdfSignatureMetadata(
                field_name=FIELD_NAME,
                subfilter=fields.SigSeedSubFilter.PADES,
                md_algorithm="sha256",
                reason="Số hóa tài liệu lưu trữ",
                embed_validation_info=self.long_term,
                validation_context=self.context if self.long_term else None,
                # B-LT: the validation data goes into the signed revision, so the signature
                # still covers the whole file (PDF/A-2 6.4.3; a DSS added after it does not)
                dss_settings=pdf_signer.DSSContentSettings(
                    placement=pdf_signer.SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                    include_vri=False,
                ),
            )
            pades = signers.PdfSigner(
                meta,
                signer=self.signer,
                timestamper=self.timestamper,
                stamp_style=dataclasses.replace(style, rotate=turn),
                new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=box),
            )
            pades.sign_pdf(writer, output=target, appearance_text_params={"org": self.organization})
        except (SigningError, PdfError, OSError, ValueError, KeyError) as exc:
            raise OutputError(_("%(name)s: signing failed: %(exc)s", name=name, exc=exc)) from exc

    def signed(self, source: Path) -> Path:
        """The signed copy of `source`, made once beside it (a repeated export reuses it, so
        the package's bytes stay the same and the token is not asked again)."""
        target = source.with_name(f"{source.stem}.signed-{self.fingerprint[:12]}.pdf")
        if target.is_file():
            return target
        partial = target.with_name(f".partial-{secrets.token_hex(4)}-{target.name}")
        try:
            with source.open("rb") as inf, partial.open("wb") as out:
                self.sign_stream(inf, out, source.name)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target


@functools.cache
def _keeping_metadata(base: type) -> type:
    """pyHanko's incremental writer, but leaving the XMP and the Info dictionary as they
    were: it would rewrite the XMP packet (producer, dates), and the PDF/A's metadata is
    the archive's, not the signature's."""

    class KeepingMetadata(base):  # type: ignore[misc]
        def _update_meta(self) -> None:
            pass

    return KeepingMetadata


def _pdfa_part(root: Any) -> int | None:
    """The PDF/A part the file's XMP claims (pdfaid:part), or None."""
    if "/Metadata" not in root:
        return None
    xmp = root["/Metadata"].data.decode("utf-8", "replace")
    found = re.search(r"pdfaid:part(?:>|=[\"'])\s*(\d)", xmp)
    return int(found.group(1)) if found else None


def _check_output_intent(root: Any, name: str) -> None:
    """The seal is drawn in RGB: the file's output intent must be an RGB profile."""
    intents = root.get("/OutputIntents")
    if not intents:
        return  # not a PDF/A: nothing to keep
    profile = intents[0].get_object().get("/DestOutputProfile")
    channels = int(profile.get_object().get("/N", 3)) if profile is not None else 3
    if channels != 3:
        raise OutputError(
            _(
                "%(name)s: its output intent has %(channels)s colour channels; the seal is RGB "
                "and would break PDF/A: export from an sRGB PDF/A",
                name=name,
                channels=channels,
            )
        )


@contextmanager
def open_signing(settings: StationSettings) -> Iterator[Signing]:
    """The configured signer, open for one run: a PKCS#12 file, or one PKCS#11 session."""
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="station-sign-")))
        if settings.signing_p12 is not None:
            kind = _("PKCS#12 file %(path)s", path=settings.signing_p12)
            yield Signing(settings, _p12_signer(settings), kind, scratch)
        elif settings.signing_pkcs11_module is not None:
            signer, kind = _pkcs11_signer(settings, stack)
            yield Signing(settings, signer, kind, scratch)
        else:
            raise ConfigError(
                _(
                    "No signer configured: set signing_p12 (STATION_SIGNING_P12) with "
                    "signing_password_file, or signing_pkcs11_module with its token, key and "
                    "signing_pin_file"
                )
            )


def _p12_signer(settings: StationSettings) -> Any:
    from pyhanko.sign import signers

    path = settings.signing_p12
    assert path is not None
    if not path.is_file():
        raise ConfigError(_("PKCS#12 file %(path)s does not exist", path=path))
    password = None
    if settings.signing_password_file is not None:
        password = _first_line(settings.signing_password_file, N_("Passphrase")).encode()
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=password)  # type: ignore[no-untyped-call]
    except (ValueError, OSError) as exc:
        signer, reason = None, str(exc)
    else:
        reason = _("wrong passphrase or not a PKCS#12 file")
    if signer is None:
        raise ConfigError(
            _("PKCS#12 file %(path)s: cannot open it (%(reason)s)", path=path, reason=reason)
        )
    return _key_loaded_once(signers.SimpleSigner)(
        signing_key=signer.signing_key,
        signing_cert=signer.signing_cert,
        cert_registry=signer.cert_registry,
    )


@functools.cache
def _key_loaded_once(base: type) -> type:
    """pyHanko's in-memory signer, parsing its RSA key once: it parsed it for every raw
    signature (44 ms with the key's checks), twice a file (a dry run measures the size)."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class KeyLoadedOnce(base):  # type: ignore[misc]
        @functools.cached_property
        def _private_key(self) -> Any:
            return load_der_private_key(self.signing_key.dump(), password=None)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            key = self._private_key
            if _is_pkcs1v15(mechanism) and isinstance(key, RSAPrivateKey):
                digest = get_pyca_cryptography_hash(digest_algorithm)
                signature: bytes = key.sign(data, PKCS1v15(), digest)
                return signature
            return bytes(super().sign_raw(data, digest_algorithm))

    return KeyLoadedOnce


def _is_pkcs1v15(mechanism: Any) -> bool:
    try:
        return bool(mechanism.signature_algo == "rsassa_pkcs1v15")
    except ValueError:
        return bool(mechanism["algorithm"].native == "rsassa_pkcs1v15")


def _pkcs11_signer(settings: StationSettings, stack: ExitStack) -> tuple[Any, str]:
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    module = settings.signing_pkcs11_module
    assert module is not None
    label = settings.signing_pkcs11_token
    slot = settings.signing_pkcs11_slot
    where = label or (
        _("in slot %(slot)s", slot=slot) if slot is not None else _("in the first slot")
    )
    kind = _("PKCS#11 token %(where)s (%(module)s)", where=where, module=module)
    if not module.is_file():
        raise ConfigError(
            _("PKCS#11 module %(module)s does not exist: install the token's driver", module=module)
        )
    if not settings.signing_pkcs11_key:
        raise ConfigError(
            _("%(kind)s: set signing_pkcs11_key to the signing key's label", kind=kind)
        )
    if settings.signing_pin_file is None:
        raise ConfigError(
            _("%(kind)s: set signing_pin_file to a file holding the user PIN", kind=kind)
        )
    pin = _first_line(settings.signing_pin_file, N_("PIN"))
    try:
        session = open_pkcs11_session(
            str(module),
            slot_no=settings.signing_pkcs11_slot,
            token_criteria=TokenCriteria(label=label) if label else None,
            user_pin=pin,
        )
    except pkcs11.PinIncorrect as exc:
        raise ConfigError(
            _(
                "%(kind)s: the PIN in %(signing_pin_file)s is wrong",
                kind=kind,
                signing_pin_file=settings.signing_pin_file,
            )
        ) from exc
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        raise ConfigError(
            _(
                "%(kind)s: cannot open a session (%(name)s %(exc)s): is the token plugged in, "
                "and is this its CA's driver?",
                kind=kind,
                name=type(exc).__name__,
                exc=exc,
            )
        ) from exc
    stack.callback(session.close)
    signer = PKCS11Signer(session, key_label=settings.signing_pkcs11_key)
    try:
        _cert = signer.signing_cert
    except (pkcs11.PKCS11Error, Exception) as exc:
        raise ConfigError(
            _(
                "%(kind)s: no key and certificate labelled %(signing_pkcs11_key)r: %(exc)s",
                kind=kind,
                signing_pkcs11_key=settings.signing_pkcs11_key,
                exc=exc,
            )
        ) from exc
    return signer, kind


# --- `station signing check` ------------------------------------------------------------------


@dataclass(frozen=True)
class SignerCheck:
    facts: SignerFacts
    problems: list[str]  # the signer cannot sign valid files
    warnings: list[str]  # it can, but look: an expiry soon, an unchecked chain


def check(settings: StationSettings) -> SignerCheck:
    """Open the signer, sign a one-page PDF with the real appearance and verify it: the key,
    the chain (against the trust roots), the seal and the font all work, or why not."""
    import pikepdf

    blank = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595.28, 841.89))
        pdf.save(blank)
    blank.seek(0)
    with open_signing(settings) as signing:
        facts = signing.facts()
        out = io.BytesIO()
        signing.sign_stream(blank, out, _("a test page"))
    scratch = settings.data_dir / f".signing-check-{os.getpid()}.pdf"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        scratch.write_bytes(out.getvalue())
        problems = signatures.verify_pdf(scratch, settings, _("a test signature"))
    finally:
        scratch.unlink(missing_ok=True)
    warnings = []
    days = (facts.not_after - datetime.now(UTC)).days
    if days < 30:
        warnings.append(
            _(
                "the certificate expires in %(days)s day(s), on %(date)s",
                days=days,
                date=f"{facts.not_after:%Y-%m-%d}",
            )
        )
    if not settings.signing_trust_roots:
        warnings.append(_("no trust roots (STATION_SIGNING_TRUST_ROOTS): the chain is not checked"))
    return SignerCheck(facts, problems, warnings)
