"""The digitizing body's digital signature on every exported PDF/A (issue 15).

NĐ 30/2020 Annex I and TT 01/2019 (standards.md 5.1) make a digitized copy valid only when
the body that digitized it signs the file, the signature shown at the top right of the first
page: the body's seal at its real size, its name and the signing time. pyHanko makes the
PAdES signature (B-B; B-T with a timestamp server; B-LT when revocation information is
supplied or may be fetched) as an incremental update, so the PDF/A below stays byte for byte
what it was (pyHanko would rewrite the XMP: kept as it was; B-LT's validation data goes into
the signed revision, so the signature covers the whole file). The appearance is drawn by
`station.export.appearance`.

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
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from station.errors import ConfigError, MissingToolError, OutputError
from station.export import appearance
from station.settings import StationSettings

log = logging.getLogger(__name__)

FIELD_NAME = "Signature-station"


@dataclass(frozen=True)
class Signature:
    """One signature in a signed file: who signed (certificate subject and serial), when,
    and at which PAdES level."""

    subject: str
    serial: str  # the certificate's serial number, hex
    signed_at: datetime
    level: str  # "B-B", "B-T" or "B-LT"

    @property
    def summary(self) -> str:
        return f"PAdES {self.level}, certificate {self.subject}, serial {self.serial}"


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
        raise ConfigError(f"{what} file {path}: cannot read it: {exc}") from exc
    if not lines or not lines[0]:
        raise ConfigError(f"{what} file {path} is empty")
    return lines[0]


def _der_blocks(path: Path, what: str) -> list[bytes]:
    """The DER objects of a PEM file (one or more blocks), or the DER file itself."""
    from asn1crypto import pem

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it: {exc}") from exc
    if pem.detect(data):
        return [der for _, _, der in pem.unarmor(data, multiple=True)]
    return [data]


def _load_certificates(paths: Sequence[Path], what: str) -> list[Any]:
    """Certificates from PEM (or DER) files, for pyHanko's validation context; parsed now,
    so a bad file is named here and not in the middle of an export."""
    from asn1crypto import x509

    found = []
    for path in paths:
        for block in _der_blocks(path, what):
            try:
                found.append(x509.Certificate.load(block))
                _ = found[-1].subject
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{what} {path}: not a certificate in PEM or DER: {exc}") from exc
    return found


def _load_crls(paths: Sequence[Path]) -> list[Any]:
    from asn1crypto import crl

    found = []
    for path in paths:
        for block in _der_blocks(path, "Revocation list"):
            try:
                found.append(crl.CertificateList.load(block))
                _ = found[-1].issuer
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"Revocation list {path}: not a CRL in PEM or DER: {exc}"
                ) from exc
    return found


def validation_context(settings: StationSettings, *, fetch: bool = False) -> Any:
    """pyHanko's validation context: the trust roots of STATION_SIGNING_TRUST_ROOTS and the
    revocation lists supplied; None without trust roots."""
    from pyhanko_certvalidator import ValidationContext

    roots = _load_certificates(settings.signing_trust_roots, "Trust root")
    if not roots:
        return None
    return ValidationContext(
        trust_roots=roots,
        crls=_load_crls(settings.signing_crls),
        allow_fetching=fetch,
        revocation_mode="soft-fail",
    )


class Signing:
    """An open signer for one export run: the key (file or token session), the appearance,
    the timestamp server and the validation context, made once."""

    def __init__(self, settings: StationSettings, signer: Any, kind: str, scratch: Path) -> None:
        from pyhanko.sign.timestamps.requests_client import HTTPTimeStamper

        if not settings.organization.strip():
            raise ConfigError(
                "Signing shows the body's name on page 1: set organization (STATION_ORGANIZATION)"
            )
        if settings.signing_seal is None:
            raise ConfigError("Signing needs the body's seal: set signing_seal (a PNG)")
        self.settings = settings
        self.signer = signer
        self.kind = kind
        self.organization = unicodedata.normalize("NFC", settings.organization.strip())
        if not appearance.FONT.is_file():
            raise MissingToolError(
                f"{appearance.FONT} is missing: install fonts-noto-core (scripts/setup)"
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
        self.context = validation_context(settings, fetch=fetch)
        self.long_term = self.context is not None and bool(settings.signing_crls or fetch)
        cert = signer.signing_cert
        if cert is None:
            raise ConfigError(f"{kind}: no signing certificate found")
        self.certificate = cert
        # What a signed file depends on: a change of certificate, seal, name, time zone or
        # level signs again rather than reusing a copy signed otherwise.
        facts = [cert.dump(), settings.signing_seal.read_bytes(), self.organization.encode(),
                 settings.signing_timezone.encode(), self.level.encode()]  # fmt: skip
        self.fingerprint = hashlib.sha256(b"\0".join(facts)).hexdigest()
        not_after = cert.not_valid_after
        if not_after < datetime.now(UTC):
            raise ConfigError(
                f"{kind}: the signing certificate ({_subject(cert)}) expired on "
                f"{not_after:%Y-%m-%d}"
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
            subject=_subject(cert),
            issuer=_name(cert, "issuer"),
            serial=_serial(cert),
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
            raise OutputError(f"{name}: signing failed: {exc}") from exc

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
            f"{name}: its output intent has {channels} colour channels; the seal is RGB and "
            "would break PDF/A: export from an sRGB PDF/A"
        )


def _subject(cert: Any) -> str:
    return _name(cert, "subject")


def _name(cert: Any, which: str) -> str:
    """The certificate's subject or issuer as RFC 4514 writes it (CN=...,O=...,C=VN)."""
    from cryptography import x509

    loaded = x509.load_der_x509_certificate(cert.dump())
    return str((loaded.subject if which == "subject" else loaded.issuer).rfc4514_string())


def _serial(cert: Any) -> str:
    return f"{cert.serial_number:X}"


@contextmanager
def open_signing(settings: StationSettings) -> Iterator[Signing]:
    """The configured signer, open for one run: a PKCS#12 file, or one PKCS#11 session."""
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="station-sign-")))
        if settings.signing_p12 is not None:
            kind = f"PKCS#12 file {settings.signing_p12}"
            yield Signing(settings, _p12_signer(settings), kind, scratch)
        elif settings.signing_pkcs11_module is not None:
            signer, kind = _pkcs11_signer(settings, stack)
            yield Signing(settings, signer, kind, scratch)
        else:
            raise ConfigError(
                "No signer configured: set signing_p12 (STATION_SIGNING_P12) with "
                "signing_password_file, or signing_pkcs11_module with its token, key and "
                "signing_pin_file"
            )


def _p12_signer(settings: StationSettings) -> Any:
    from pyhanko.sign import signers

    path = settings.signing_p12
    assert path is not None
    if not path.is_file():
        raise ConfigError(f"PKCS#12 file {path} does not exist")
    password = None
    if settings.signing_password_file is not None:
        password = _first_line(settings.signing_password_file, "Passphrase").encode()
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=password)  # type: ignore[no-untyped-call]
    except (ValueError, OSError) as exc:
        signer, reason = None, str(exc)
    else:
        reason = "wrong passphrase or not a PKCS#12 file"
    if signer is None:
        raise ConfigError(f"PKCS#12 file {path}: cannot open it ({reason})")
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
    where = label or (f"in slot {slot}" if slot is not None else "in the first slot")
    kind = f"PKCS#11 token {where} ({module})"
    if not module.is_file():
        raise ConfigError(f"PKCS#11 module {module} does not exist: install the token's driver")
    if not settings.signing_pkcs11_key:
        raise ConfigError(f"{kind}: set signing_pkcs11_key to the signing key's label")
    if settings.signing_pin_file is None:
        raise ConfigError(f"{kind}: set signing_pin_file to a file holding the user PIN")
    pin = _first_line(settings.signing_pin_file, "PIN")
    try:
        session = open_pkcs11_session(
            str(module),
            slot_no=settings.signing_pkcs11_slot,
            token_criteria=TokenCriteria(label=label) if label else None,
            user_pin=pin,
        )
    except pkcs11.PinIncorrect as exc:
        raise ConfigError(f"{kind}: the PIN in {settings.signing_pin_file} is wrong") from exc
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        raise ConfigError(
            f"{kind}: cannot open a session ({type(exc).__name__} {exc}): is the token plugged "
            "in, and is this its CA's driver?"
        ) from exc
    stack.callback(session.close)
    signer = PKCS11Signer(session, key_label=settings.signing_pkcs11_key)
    try:
        _ = signer.signing_cert  # loads the certificate and key now, once
    except (pkcs11.PKCS11Error, Exception) as exc:
        raise ConfigError(
            f"{kind}: no key and certificate labelled {settings.signing_pkcs11_key!r}: {exc}"
        ) from exc
    return signer, kind


# --- reading and verifying -----------------------------------------------------------------------


def read_signatures(path: Path) -> list[Signature]:
    """The signatures in a signed file, as PREMIS records them."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with path.open("rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        dss = reader.root.get("/DSS")
        dss = dss.get_object() if dss is not None else None
        has_dss = dss is not None and any(k in dss for k in ("/CRLs", "/OCSPs"))
        return [
            Signature(
                subject=_subject(sig.signer_cert),
                serial=_serial(sig.signer_cert),
                signed_at=(sig.self_reported_timestamp or datetime.now(UTC)).astimezone(UTC),
                level="B-LT" if has_dss else "B-T" if _timestamped(sig) else "B-B",
            )
            for sig in reader.embedded_signatures
        ]


def _timestamped(sig: Any) -> bool:
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    unsigned = sig.signer_info["unsigned_attrs"]
    return bool(unsigned.native) and any(extract_tst_data_iter(sig.signer_info, signed=False))


def verify_pdf(path: Path, settings: StationSettings, shown: str | None = None) -> list[str]:
    """Everything wrong with the signatures of one PDF, one sentence each naming the file:
    a change after signing, an untrusted or expired certificate, no signing time, or no
    signature where signing is mandatory. The chain is checked against the trust roots of
    STATION_SIGNING_TRUST_ROOTS when they are set."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError

    name = shown or path.name
    context = validation_context(settings)
    problems: list[str] = []
    try:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = reader.embedded_signatures
            if not signatures:
                return [f"{name}: not signed, and signing is mandatory"] * bool(
                    settings.signing_required
                )
            for sig in signatures:
                status = validate_pdf_signature(sig, context)
                problems += _status_problems(name, sig, status, context is not None)
    except (PdfError, SignatureValidationError, OSError, ValueError, KeyError) as exc:
        problems.append(f"{name}: its signature cannot be checked: {exc}")
    return problems


def _status_problems(name: str, sig: Any, status: Any, chain: bool) -> list[str]:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    who = f"signature by {_subject(sig.signer_cert)}"
    if not status.intact or not status.valid:
        return [f"{name}: {who} does not match the file: it changed after signing"]
    problems = []
    if status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append(f"{name}: {who} covers only part of the file")
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not status.docmdp_ok:
        problems.append(f"{name}: {who}: the file was changed after signing (an update added)")
    if status.signer_reported_dt is None and status.timestamp_validity is None:
        problems.append(f"{name}: {who} carries no signing time")
    if chain and not status.trusted:
        cert = sig.signer_cert
        if cert.not_valid_after < (status.signer_reported_dt or datetime.now(UTC)):
            problems.append(
                f"{name}: {who}: the certificate had expired ({cert.not_valid_after:%Y-%m-%d})"
            )
        elif cert.not_valid_after < datetime.now(UTC) and status.timestamp_validity is None:
            problems.append(
                f"{name}: {who}: the certificate expired on {cert.not_valid_after:%Y-%m-%d} "
                "and no timestamp proves the signature was made before"
            )
        else:
            problems.append(
                f"{name}: {who}: the certificate (issued by {_name(cert, 'issuer')}) does not "
                "chain to a trust root in STATION_SIGNING_TRUST_ROOTS, or is revoked"
            )
    return problems


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
        signing.sign_stream(blank, out, "a test page")
    scratch = settings.data_dir / f".signing-check-{os.getpid()}.pdf"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        scratch.write_bytes(out.getvalue())
        problems = verify_pdf(scratch, settings, "a test signature")
    finally:
        scratch.unlink(missing_ok=True)
    warnings = []
    days = (facts.not_after - datetime.now(UTC)).days
    if days < 30:
        warnings.append(f"the certificate expires in {days} day(s), on {facts.not_after:%Y-%m-%d}")
    if not settings.signing_trust_roots:
        warnings.append("no trust roots (STATION_SIGNING_TRUST_ROOTS): the chain is not checked")
    return SignerCheck(facts, problems, warnings)
