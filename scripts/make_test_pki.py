"""A test PKI for signing: a root CA, the digitizing body's signer certificate (PKCS#12 and
its key as PKCS#8), a timestamp authority, an empty CRL, a seal PNG; and a SoftHSM token
holding the signer's key and certificate. Used by tests/test_signing.py and bench/signing.py.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, ImageDraw

BODY = "Văn phòng Tỉnh ủy Thử nghiệm"
SEAL_MM = 40.0
PASSWORD = "mat khau 15"
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class Pki:
    root: Path
    ca_pem: Path
    other_ca_pem: Path  # a CA that did not issue the signer
    p12: Path
    password: Path
    key_pem: Path  # the signer's key, PKCS#8, for the token
    cert_der: bytes
    crl: Path
    seal: Path
    serial: str
    tsa: tuple[bytes, bytes]  # a timestamp authority's certificate and key (DER)
    ca: tuple[rsa.RSAPrivateKey, x509.Certificate]  # to issue more signers


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, BODY),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[rsa.RSAPrivateKey, x509.Certificate] | None,
    lifetime: timedelta,
    *extensions: tuple[x509.ExtensionType, bool],
) -> x509.Certificate:
    """`key`'s certificate, issued by `issuer` (None: self-signed)."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer[1].subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + lifetime)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def _ca(common: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _key()
    return key, _issue(
        common,
        key,
        None,
        timedelta(days=3650),
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
    )


def make_pki(root: Path) -> Pki:
    """A root CA, a signer certificate for the body (PKCS#12 and PKCS#8), a timestamp
    authority, an empty CRL and a 40 mm seal, written into `root`."""
    ca_key, ca = _ca("Station Test Root CA")
    _, other = _ca("Some Other CA")
    key, cert = signer_p12((ca_key, ca), root / "signer.p12", timedelta(days=365))
    tsa_key = _key()
    tsa = _issue(
        "Station Test TSA",
        tsa_key,
        (ca_key, ca),
        timedelta(days=365),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
    )
    now = datetime.now(UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (root / "ca.pem").write_bytes(ca.public_bytes(pem))
    (root / "other.pem").write_bytes(other.public_bytes(pem))
    (root / "ca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    (root / "password").write_text(f"{PASSWORD}\n", encoding="utf-8")
    (root / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    # a round red seal with a transparent background, 40 mm wide at 300 dpi
    size = round(SEAL_MM / 25.4 * 300)
    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    draw.ellipse((4, 4, size - 4, size - 4), outline=(210, 20, 20, 255), width=16)
    draw.ellipse((70, 70, size - 70, size - 70), fill=(210, 20, 20, 255))
    seal.save(root / "seal.png", dpi=(300, 300))
    return Pki(
        root, root / "ca.pem", root / "other.pem", root / "signer.p12", root / "password",
        root / "key.pem", cert.public_bytes(serialization.Encoding.DER), root / "ca.crl",
        root / "seal.png", f"{cert.serial_number:X}",
        (tsa.public_bytes(serialization.Encoding.DER), tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())), (ca_key, ca),
    )  # fmt: skip


def signer_p12(
    ca: tuple[rsa.RSAPrivateKey, x509.Certificate], target: Path, lifetime: timedelta
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A signer certificate for the body, valid from yesterday for `lifetime` from now,
    issued by `ca` and written with its key and the CA into a PKCS#12 file (PASSWORD)."""
    key = _key()
    cert = _issue(
        BODY,
        key,
        ca,
        lifetime,
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(True, True, False, False, False, False, False, False, False), True),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca[0].public_key()), False),
    )
    encryption = serialization.BestAvailableEncryption(PASSWORD.encode())
    target.write_bytes(
        pkcs12.serialize_key_and_certificates(b"signer", key, cert, [ca[1]], encryption)
    )
    return key, cert


def make_token(pki: Pki, root: Path) -> dict[str, Any]:
    """A SoftHSM token in `root` holding the signer's key and certificate, as a Vietnamese
    CA's USB token holds them; sets SOFTHSM2_CONF for this process (the module reads it)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by the module when it loads
    module = SOFTHSM
    env = os.environ | {"SOFTHSM2_CONF": str(conf)}
    run = lambda *args: subprocess.run(args, check=True, env=env, capture_output=True)  # noqa: E731
    run("softhsm2-util", "--init-token", "--free", "--label", "station-test",
        "--pin", "1234", "--so-pin", "5678")  # fmt: skip
    run("softhsm2-util", "--import", str(pki.key_pem), "--token", "station-test",
        "--label", "body-key", "--id", "0f15", "--pin", "1234")  # fmt: skip
    lib = pkcs11.lib(str(module))
    loaded = x509.load_der_x509_certificate(pki.cert_der)
    with lib.get_token(token_label="station-test").open(rw=True, user_pin="1234") as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "body-key",
                Attribute.ID: bytes.fromhex("0f15"),
                Attribute.VALUE: pki.cert_der,
                Attribute.SUBJECT: loaded.subject.public_bytes(),
                Attribute.ISSUER: loaded.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: loaded.serial_number.to_bytes(20, "big"),
            }
        )
    (root / "pin").write_text("1234\n")
    return {"module": module, "label": "station-test", "key": "body-key", "pin": root / "pin"}
