"""Reading and checking the signatures of signed PDF/As: who signed (subject and serial),
when and at which PAdES level, for PREMIS; and everything wrong with them, for
`station export verify` (integrity, signer, time, the chain to the trust roots of
STATION_SIGNING_TRUST_ROOTS, a missing signature where signing is mandatory). The trust
roots and revocation lists are read here for signing (B-LT) too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station.errors import ConfigError
from station.i18n import N_, _
from station.settings import StationSettings


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


def _der_blocks(path: Path, what: str) -> list[bytes]:
    """The DER objects of a PEM file (one or more blocks), or the DER file itself."""
    from asn1crypto import pem

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            _("%(what)s %(path)s: cannot read it: %(exc)s", what=_(what), path=path, exc=exc)
        ) from exc
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
                _parsed = found[-1].subject  # asn1crypto parses lazily: parse it now
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    _(
                        "%(what)s %(path)s: not a certificate in PEM or DER: %(exc)s",
                        what=_(what),
                        path=path,
                        exc=exc,
                    )
                ) from exc
    return found


def _load_crls(paths: Sequence[Path]) -> list[Any]:
    from asn1crypto import crl

    found = []
    for path in paths:
        for block in _der_blocks(path, N_("Revocation list")):
            try:
                found.append(crl.CertificateList.load(block))
                _parsed = found[-1].issuer  # asn1crypto parses lazily: parse it now
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    _(
                        "Revocation list %(path)s: not a CRL in PEM or DER: %(exc)s",
                        path=path,
                        exc=exc,
                    )
                ) from exc
    return found


def validation_context(settings: StationSettings, *, fetch: bool = False) -> Any:
    """pyHanko's validation context: the trust roots of STATION_SIGNING_TRUST_ROOTS and the
    revocation lists supplied; None without trust roots."""
    from pyhanko_certvalidator import ValidationContext

    roots = _load_certificates(settings.signing_trust_roots, N_("Trust root"))
    if not roots:
        return None
    return ValidationContext(
        trust_roots=roots,
        crls=_load_crls(settings.signing_crls),
        allow_fetching=fetch,
        revocation_mode="soft-fail",
    )


def subject_name(cert: Any) -> str:
    return cert_name(cert, "subject")


def cert_name(cert: Any, which: str) -> str:
    """The certificate's subject or issuer as RFC 4514 writes it (CN=...,O=...,C=VN)."""
    from cryptography import x509

    loaded = x509.load_der_x509_certificate(cert.dump())
    return str((loaded.subject if which == "subject" else loaded.issuer).rfc4514_string())


def serial_number(cert: Any) -> str:
    return f"{cert.serial_number:X}"


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
                subject=subject_name(sig.signer_cert),
                serial=serial_number(sig.signer_cert),
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
                return [_("%(name)s: not signed, and signing is mandatory", name=name)] * bool(
                    settings.signing_required
                )
            for sig in signatures:
                status = validate_pdf_signature(sig, context)
                problems += _status_problems(name, sig, status, context is not None)
    except (PdfError, SignatureValidationError, OSError, ValueError, KeyError) as exc:
        problems.append(_("%(name)s: its signature cannot be checked: %(exc)s", name=name, exc=exc))
    return problems


def _status_problems(name: str, sig: Any, status: Any, chain: bool) -> list[str]:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    signer = subject_name(sig.signer_cert)
    if not status.intact or not status.valid:
        return [
            _(
                "%(name)s: signature by %(signer)s does not match the file: it changed after "
                "signing",
                name=name,
                signer=signer,
            )
        ]
    problems = []
    if status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append(
            _(
                "%(name)s: signature by %(signer)s covers only part of the file",
                name=name,
                signer=signer,
            )
        )
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not status.docmdp_ok:
        problems.append(
            _(
                "%(name)s: signature by %(signer)s: the file was changed after signing (an "
                "update added)",
                name=name,
                signer=signer,
            )
        )
    if status.signer_reported_dt is None and status.timestamp_validity is None:
        problems.append(
            _(
                "%(name)s: signature by %(signer)s carries no signing time",
                name=name,
                signer=signer,
            )
        )
    if chain and not status.trusted:
        cert = sig.signer_cert
        if cert.not_valid_after < (status.signer_reported_dt or datetime.now(UTC)):
            problems.append(
                _(
                    "%(name)s: signature by %(signer)s: the certificate had expired (%(date)s)",
                    name=name,
                    signer=signer,
                    date=f"{cert.not_valid_after:%Y-%m-%d}",
                )
            )
        elif cert.not_valid_after < datetime.now(UTC) and status.timestamp_validity is None:
            problems.append(
                _(
                    "%(name)s: signature by %(signer)s: the certificate expired on %(date)s "
                    "and no timestamp proves the signature was made before",
                    name=name,
                    signer=signer,
                    date=f"{cert.not_valid_after:%Y-%m-%d}",
                )
            )
        else:
            problems.append(
                _(
                    "%(name)s: signature by %(signer)s: the certificate (issued by "
                    "%(issuer)s) does not chain to a trust root in "
                    "STATION_SIGNING_TRUST_ROOTS, or is revoked",
                    name=name,
                    signer=signer,
                    issuer=cert_name(cert, "issuer"),
                )
            )
    return problems
