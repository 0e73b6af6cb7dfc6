"""Signed digitized copies (issue 15): the digitizing body's PAdES signature on every exported
PDF/A, with the real parts: a test CA and signer made with `cryptography`, a SoftHSM token for
the PKCS#11 path, pyHanko and Poppler's `pdfsig` to verify, the suite's PDF/A validators, and
a whole export (the processed batch of tests/test_export.py) signed, bagged and verified."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import page
import pikepdf
import pikepdf.pdfa
import pytest
from make_test_pki import BODY, SEAL_MM, Pki, make_pki, make_token, signer_p12
from PIL import Image
from test_export import OPEN, _export, room  # noqa: F401  (the processed, approved folders)
from typer.testing import CliRunner

from station.cli import app
from station.errors import ConfigError, ConflictError, ExitCode
from station.export import packages, signatures, signing
from station.pipeline import pdfa
from station.settings import StationSettings, load_settings


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _settings(pki: Pki, data: Path, **changes: Any) -> StationSettings:
    values: dict[str, Any] = {
        "data_dir": data,
        "organization": BODY,
        "signing_p12": pki.p12,
        "signing_password_file": pki.password,
        "signing_seal": pki.seal,
        "signing_trust_roots": (pki.ca_pem,),
    }
    return load_settings(**(values | changes))


@pytest.fixture(scope="module")
def token(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_token(pki, tmp_path_factory.mktemp("softhsm"))


@pytest.fixture(scope="module")
def pdfa_2b(room: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The approved folder's PDF/A-2b as the export builds it (page 2 turned by review)."""
    store, settings = room["store"], room["settings"]
    chief = store.get_user("chief")
    export = packages.gather(store, chief, OPEN)
    packages.fix_version(store, export, chief)
    made = packages.folder_pdf(settings, export, store)
    target = tmp_path_factory.mktemp("pdfa") / "folder.pdf"
    shutil.copyfile(made, target)
    assert pdfa.validate_pdfa(target, "2b") == []
    return target


def _pdfsig(path: Path) -> str:
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return done.stdout + done.stderr


def _red_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    pixels = np.asarray(image.convert("RGB").crop(box)).astype(int)
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 90) & (pixels[..., 2] < 90)
    return float(red.mean())


def _render_first_page(path: Path, out: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(path),
                    str(out / "page")], check=True)  # fmt: skip
    return Image.open(next(out.glob("page*.png")))


def _sign_one(settings: StationSettings, source: Path, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    copy = target_dir / source.name
    shutil.copyfile(source, copy)
    with signing.open_signing(settings) as signer:
        return signer.signed(copy)


def test_a_signed_pdfa_stays_pdfa_2b_and_its_signature_verifies(
    pki: Pki, pdfa_2b: Path, tmp_path: Path
) -> None:
    settings = _settings(pki, tmp_path / "data")
    signed = _sign_one(settings, pdfa_2b, tmp_path / "out")
    original, after = pdfa_2b.read_bytes(), signed.read_bytes()
    assert after.startswith(original), "an incremental update: the PDF/A below is untouched"
    # the independent validator passes the whole file as PDF/A-2b ...
    report = page.validate_pdf(signed, profile="2b", limits=page.SafetyLimits.unlimited())
    assert report.is_compliant, [f"{f.rule_id}: {f.message}" for f in report.failures]
    # ... and pikepdf's allowlist finds nothing but the form it does not read (the signature)
    findings = pikepdf.pdfa.validate_written(signed, "2b").findings
    assert [(f.kind, f.where.split()[-1]) for f in findings] == [("unsupported", "/AcroForm")]
    with pikepdf.open(pdfa_2b) as before, pikepdf.open(signed) as now:
        assert bytes(now.trailer.ID[0]) == bytes(before.trailer.ID[0])
        assert now.Root.Metadata.read_bytes() == before.Root.Metadata.read_bytes()
        assert now.Root.OutputIntents[0].DestOutputProfile.read_bytes() == (
            before.Root.OutputIntents[0].DestOutputProfile.read_bytes()
        )
        assert now.open_metadata().pdfa_status == "2B"
        widget = now.Root.AcroForm.Fields[0]
        assert int(widget.F) & 4, "printed, as PDF/A wants of an annotation"
        font = next(iter(widget.AP.N.Resources.Font.values()))
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor  # embedded
        unicode_map = font.ToUnicode.read_bytes().decode()
        assert all(f"{ord(c):04x}" in unicode_map for c in "ủ")  # the body's Vietnamese name
    assert signatures.verify_pdf(signed, settings) == []
    (made,) = signatures.read_signatures(signed)
    assert made.serial == pki.serial and BODY in made.subject and made.level == "B-B"
    assert abs((made.signed_at - datetime.now(UTC)).total_seconds()) < 120
    poppler = _pdfsig(signed)  # Poppler, independently
    assert "Signature is Valid." in poppler and "Total document signed" in poppler
    assert "ETSI.CAdES.detached" in poppler and BODY in poppler


def test_the_seal_is_at_the_top_right_of_page_one_at_its_real_size(
    pki: Pki, pdfa_2b: Path, tmp_path: Path
) -> None:
    settings = _settings(pki, tmp_path / "data")
    signed = _sign_one(settings, pdfa_2b, tmp_path / "out")
    with pikepdf.open(signed) as pdf:
        _, y0, x1, y1 = (float(v) for v in pdf.Root.AcroForm.Fields[0].Rect)
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
        image = next(iter(pdf.Root.AcroForm.Fields[0].AP.N.Resources.XObject.values()))
        assert "/SMask" in image and image.ColorSpace == "/DeviceRGB"  # sRGB output intent
    assert width - x1 < 30 and height - y1 < 30, "top right"
    assert abs((y1 - y0) - SEAL_MM / 25.4 * 72) < 2, "the seal's real height"
    shown = _render_first_page(signed, tmp_path)
    w, h = shown.size
    assert _red_share(shown, (w // 2, 0, w, h // 4)) > 0.02  # the red seal is drawn there
    assert _red_share(shown, (0, h // 2, w, h)) < 0.001


def test_a_turned_first_page_gets_its_seal_at_the_top_right_as_shown(
    pki: Pki, pdfa_2b: Path, tmp_path: Path
) -> None:
    turned = tmp_path / "turned.pdf"
    with pikepdf.open(pdfa_2b) as pdf:
        pdf.pages[0].rotate(90, relative=True)
        pdf.save(turned)
    signed = _sign_one(_settings(pki, tmp_path / "data"), turned, tmp_path / "out")
    shown = _render_first_page(signed, tmp_path)
    w, h = shown.size
    assert w > h, "shown in landscape"
    assert _red_share(shown, (w // 2, 0, w, h // 3)) > 0.02
    assert _red_share(shown, (0, 0, w // 2, h)) < 0.001
    assert _red_share(shown, (w // 2, h // 2, w, h)) < 0.001


@pytest.mark.parametrize("flavour", ["1b", "2u", "3b"])
def test_every_pdfa_flavour_station_writes_stays_valid_when_signed(
    pki: Pki, pdfa_2b: Path, tmp_path: Path, flavour: str
) -> None:
    source = tmp_path / f"{flavour}.pdf"
    metadata = pdfa.DocumentMetadata(title="Văn bản thử ký số", date=datetime.now(UTC))
    pdfa.extract_pdfa(pdfa_2b, [0], source, metadata, pdfa=flavour)
    signed = _sign_one(_settings(pki, tmp_path / "data"), source, tmp_path / "out")
    assert pdfa.validate_pdfa(signed, flavour) == []  # the appearance's font and seal too
    with pikepdf.open(signed) as pdf:
        form = pdf.Root.AcroForm.Fields[0].AP.N.Resources
        cmap = next(iter(form.Font.values())).ToUnicode.read_bytes().decode()
        seal = next(iter(form.XObject.values()))
        flattened = "/SMask" not in seal
    assert "beginbfchar" in cmap and "beginbfrange" not in cmap  # read by the 2u check
    assert flattened == (flavour == "1b"), "PDF/A-1: the seal flattened on white"


def test_revocation_information_supplied_gives_b_lt(
    pki: Pki, pdfa_2b: Path, tmp_path: Path
) -> None:
    settings = _settings(pki, tmp_path / "data", signing_crls=(pki.crl,))
    signed = _sign_one(settings, pdfa_2b, tmp_path / "out")
    assert [s.level for s in signatures.read_signatures(signed)] == ["B-LT"]
    with pikepdf.open(signed) as pdf:
        assert len(pdf.Root.DSS.CRLs) == 1
    assert signatures.verify_pdf(signed, settings) == []
    assert pdfa.validate_pdfa(signed, "2b") == []


@pytest.fixture
def timestamp_server(pki: Pki) -> Iterator[str]:
    """An RFC 3161 timestamp server over HTTP on localhost, its tokens made by pyHanko's
    timestamper with the test CA's TSA certificate."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(pki.tsa[0]),
        tsa_key=keys.PrivateKeyInfo.load(pki.tsa[1]),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join()


def test_a_timestamp_server_gives_b_t(
    pki: Pki, pdfa_2b: Path, tmp_path: Path, timestamp_server: str
) -> None:
    settings = _settings(pki, tmp_path / "data", signing_tsa_url=timestamp_server)
    signed = _sign_one(settings, pdfa_2b, tmp_path / "out")
    assert [s.level for s in signatures.read_signatures(signed)] == ["B-T"]
    assert signatures.verify_pdf(signed, settings) == []
    assert "Signature is Valid." in _pdfsig(signed)
    assert pdfa.validate_pdfa(signed, "2b") == []


def test_a_pkcs11_token_signs_every_file_in_one_session(
    pki: Pki, token: dict[str, Any], pdfa_2b: Path, tmp_path: Path
) -> None:
    settings = _settings(
        pki, tmp_path / "data", signing_p12=None, signing_pkcs11_module=token["module"],
        signing_pkcs11_token=token["label"], signing_pkcs11_key=token["key"],
        signing_pin_file=token["pin"],
    )  # fmt: skip
    copies = []
    for n in range(3):
        copies.append(tmp_path / f"doc{n}.pdf")
        shutil.copyfile(pdfa_2b, copies[-1])
    with signing.open_signing(settings) as signer:
        assert signer.kind.startswith("PKCS#11 token station-test")
        signed = [signer.signed(copy) for copy in copies]
    for path in signed:
        assert signatures.verify_pdf(path, settings) == []
        assert [s.serial for s in signatures.read_signatures(path)] == [pki.serial]
        assert "Signature is Valid." in _pdfsig(path)
    assert pdfa.validate_pdfa(signed[0], "2b") == []
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("0000\n")
    with pytest.raises(ConfigError, match=r"PIN in .*wrong-pin is wrong"):
        signing.check(settings.model_copy(update={"signing_pin_file": wrong}))


def test_signing_check_reports_the_signer_or_why_not(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "STATION_DATA_DIR": tmp_path / "data", "STATION_ORGANIZATION": BODY,
        "STATION_SIGNING_P12": pki.p12, "STATION_SIGNING_PASSWORD_FILE": pki.password,
        "STATION_SIGNING_SEAL": pki.seal, "STATION_SIGNING_TRUST_ROOTS": pki.ca_pem,
        "STATION_CONFIG": tmp_path / "none.toml",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    done = CliRunner().invoke(app, ["signing", "check", "--json"])
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    assert facts["serial"] == pki.serial and facts["problems"] == []
    assert facts["seal_mm"] == pytest.approx([SEAL_MM, SEAL_MM], abs=0.4)  # whole points
    assert facts["level"] == "B-B"
    assert datetime.fromisoformat(facts["expires"]) > datetime.now(UTC) + timedelta(days=300)
    monkeypatch.setenv("STATION_SIGNING_TRUST_ROOTS", str(pki.other_ca_pem))
    untrusted = CliRunner().invoke(app, ["signing", "check"])
    assert untrusted.exit_code == ExitCode.BAD_CONFIG
    assert "does not chain to a trust root" in untrusted.stderr
    bad = tmp_path / "bad-password"
    bad.write_text("not it\n")
    monkeypatch.setenv("STATION_SIGNING_PASSWORD_FILE", str(bad))
    refused = CliRunner().invoke(app, ["signing", "check"])
    assert refused.exit_code == ExitCode.BAD_CONFIG
    assert f"PKCS#12 file {pki.p12}: cannot open it" in refused.stderr
    no_dpi = tmp_path / "seal.png"
    Image.open(pki.seal).save(no_dpi)  # no pHYs chunk: the real size is unknown
    with pytest.raises(ConfigError, match="carries no DPI"):
        signing.check(_settings(pki, tmp_path / "data", signing_seal=no_dpi))
    assert signing.check(
        _settings(pki, tmp_path / "data", signing_seal=no_dpi, signing_seal_mm=38)
    ).facts.seal_mm[0] == pytest.approx(38, abs=0.4)


def test_a_signed_export_carries_signed_pdfas_premis_and_manifests_after_signing(
    room: dict[str, Any],  # noqa: F811
    pki: Pki,
    tmp_path: Path,
) -> None:
    settings = _settings(pki, room["settings"].data_dir,
                         profiles_dir=room["settings"].profiles_dir)  # fmt: skip
    progress: list[str] = []
    store = room["store"]
    (result,) = packages.export_folders(
        store, settings, store.get_user("chief"), [OPEN], "bagit", tmp_path,
        sign=True, progress=progress.append,
    )  # fmt: skip
    bag = result.path
    pdfs = sorted((bag / "data").glob("*.pdf"))
    assert len(pdfs) >= 2, "the folder's PDF/A and its documents'"
    assert [m for m in progress if "signing" in m] == [
        f"{OPEN}: signing PDF/A {n}/{len(pdfs)}" for n in range(1, len(pdfs) + 1)
    ]
    manifest = dict(
        reversed(line.split(maxsplit=1))
        for line in (bag / "manifest-sha256.txt").read_text().splitlines()
    )
    for pdf in pdfs:
        assert signatures.read_signatures(pdf), pdf.name
        assert manifest[f"data/{pdf.name}"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert packages.verify(bag, settings) == []
    mets_xml = (bag / "data" / "METS.xml").read_text(encoding="utf-8")
    assert mets_xml.count(">digital signature generation<") == len(pdfs)
    assert f"serial: {pki.serial}" in mets_xml and f"CN={BODY}" in mets_xml
    # the same export again: the same signed bytes, no second signature
    (again,) = packages.export_folders(
        store, settings, store.get_user("chief"), [OPEN], "bagit", tmp_path / "again", sign=True
    )
    assert _tree_digest(again.path) == _tree_digest(bag)
    # a package exported unsigned is not passed off as signed
    store_user = store.get_user("chief")
    plain = tmp_path / "plain"
    packages.export_folders(store, room["settings"], store_user, [OPEN], "bagit", plain)
    with pytest.raises(ConflictError, match="holds the unsigned package"):
        packages.export_folders(store, settings, store_user, [OPEN], "bagit", plain, sign=True)
    # a byte changed after signing is named as such, file and cause
    target = pdfs[0]
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x20
    target.write_bytes(bytes(data))
    problems = packages.verify(bag, settings)
    assert any(
        p.startswith(f"data/{target.name}: signature by CN={BODY}") and "changed after signing" in p
        for p in problems
    ), problems
    # trusted only against its own root
    other = settings.model_copy(update={"signing_trust_roots": (pki.other_ca_pem,)})
    untrusted = packages.verify(again.path, other)
    assert len(untrusted) == len(pdfs) and all("does not chain" in p for p in untrusted)


def test_an_expired_certificate_is_refused_and_named(
    pki: Pki, pdfa_2b: Path, tmp_path: Path
) -> None:
    expired = tmp_path / "expired.p12"
    signer_p12(pki.ca, expired, timedelta(hours=-1))
    with pytest.raises(ConfigError, match=r"expired\.p12: the signing certificate .* expired on"):
        signing.check(_settings(pki, tmp_path / "data", signing_p12=expired))
    short = tmp_path / "short.p12"
    signer_p12(pki.ca, short, timedelta(seconds=4))
    settings = _settings(pki, tmp_path / "data", signing_p12=short)
    signed = _sign_one(settings, pdfa_2b, tmp_path / "out")
    assert signatures.verify_pdf(signed, settings) == []
    time.sleep(5)  # the certificate expires; no timestamp proves the signature came before
    (problem,) = signatures.verify_pdf(signed, settings)
    assert problem.startswith(f"{signed.name}: signature by CN={BODY}")
    assert "the certificate expired on" in problem and "no timestamp" in problem


def test_export_sign_and_verify_on_the_command_line(
    room: dict[str, Any],  # noqa: F811
    pki: Pki,
    tmp_path: Path,
) -> None:
    env = room["env"] | {
        "STATION_SIGNING_P12": str(pki.p12),
        "STATION_SIGNING_PASSWORD_FILE": str(pki.password),
        "STATION_SIGNING_SEAL": str(pki.seal),
        "STATION_SIGNING_TRUST_ROOTS": str(pki.ca_pem),
        "STATION_SIGNING_REQUIRED": "true",
    }
    run = CliRunner(env=env).invoke
    done = run(app, ["export", "--format", "archivematica", "--zip", "--folder", OPEN,
                     "--out", str(tmp_path), "--as", "chief", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    (written,) = json.loads(done.stdout)
    checked = run(app, ["export", "verify", written["path"]])
    assert checked.exit_code == 0 and checked.stdout.split()[-1] == "valid", checked.output
    with zipfile.ZipFile(written["path"]) as archive:
        pdfs = [n for n in archive.namelist() if "/objects/" in n and n.endswith(".pdf")]
        assert pdfs and all(b"/ByteRange" in archive.read(n) for n in pdfs)
    untrusted = CliRunner(env=env | {"STATION_SIGNING_TRUST_ROOTS": str(pki.other_ca_pem)})
    refused = untrusted.invoke(app, ["export", "verify", written["path"]])
    assert refused.exit_code == ExitCode.OUTPUT_ERROR
    assert "does not chain to a trust root" in refused.stderr


def test_signing_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("STATION_SIGNING_TRUST_ROOTS", f"/a/root.pem{os.pathsep}/b/ca.pem")
    monkeypatch.setenv("STATION_SIGNING_P12", "")  # unset, not the working directory
    settings = load_settings()
    assert settings.signing_trust_roots == (Path("/a/root.pem"), Path("/b/ca.pem"))
    assert settings.signing_p12 is None and not settings.signing_configured
    monkeypatch.setenv("STATION_SIGNING_P12", "/a/signer.p12")
    monkeypatch.setenv("STATION_SIGNING_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
    with pytest.raises(ConfigError, match="configure one signer"):
        load_settings()


def _tree_digest(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_mandatory_signing_without_a_signer_is_a_clear_error(
    room: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    required = room["settings"].model_copy(update={"signing_required": True})
    with pytest.raises(ConfigError, match=r"Signing is mandatory .* no signer is configured"):
        packages.export_folders(
            room["store"], required, room["store"].get_user("chief"), [OPEN], "bagit", tmp_path
        )
    assert list(tmp_path.iterdir()) == [], "nothing written"
    run = CliRunner(env=room["env"]).invoke
    refused = run(app, ["export", "--format", "bagit", "--folder", OPEN, "--out",
                        str(tmp_path), "--as", "chief", "--sign"])  # fmt: skip
    assert refused.exit_code == ExitCode.BAD_CONFIG
    assert "--sign asked for a signature but no signer is configured" in refused.stderr
    (unsigned,) = _export(room, "bagit", tmp_path / "unsigned")
    assert packages.verify(unsigned.path, room["settings"]) == []
    missing = packages.verify(unsigned.path, required)
    assert missing and all(p.endswith("not signed, and signing is mandatory") for p in missing)
    assert any(p.startswith(f"data/{unsigned.path.name}.pdf") for p in missing)
