"""``edocx duplicate check FILE.pdf``: an e-duplicate checked offline.

The file keeps its QR text; the payload must verify with the issuing
body's certificate, name the code of its own address and, given the
register record, that record's digest; the signatures must pass offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.cli import main
from edocx.copies import duplicateqr, qr
from edocx.copies.errors import CopyPayloadError
from edocx.pki.devpki import PKILayout
from tests.copies.test_duplicates import RECORD, _with, issued
from tests.verification import attacks
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def offline(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads the hub's PKI, as an operator's would."""
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(hub.settings.pki.dir))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)


async def _files(hub: Hub, tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    out, pdf = await issued(hub)
    path = tmp_path / "duplicate.pdf"
    path.write_bytes(pdf)
    cert = tmp_path / "seal-a.pem"
    cert.write_bytes(PKILayout(hub.settings.pki.dir).cert_path("seal-a").read_bytes())
    return out, path, cert


@pytest.mark.usefixtures("offline")
async def test_an_issued_duplicate_checks_offline(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path, cert = await _files(hub, tmp_path)
    record = tmp_path / "record.json"
    record.write_text(json.dumps(RECORD, ensure_ascii=False), "utf-8")

    assert main(["duplicate", "check", str(path), "--certificate", str(cert)]) == 0
    said = capsys.readouterr().out
    assert f"E-duplicate {out['code']}: number" in said
    assert "AS ISSUED" in said and out["check_url"] in said and "online" in said

    argv = ["duplicate", "check", str(path), "--certificate", str(cert)]
    assert main([*argv, "--record", str(record)]) == 0
    assert main(["duplicate", "check", str(path)]) == 0
    assert "certificate inside the file" in capsys.readouterr().out


@pytest.mark.usefixtures("offline")
async def test_another_record_another_body_or_an_edit_is_not_as_issued(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path, cert = await _files(hub, tmp_path)
    argv = ["duplicate", "check", str(path), "--certificate", str(cert)]

    other_record = tmp_path / "other.json"
    body = _with("record.child.full_name", "Nguyễn Thị Ánh Tuyến")["record"]
    other_record.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    assert main([*argv, "--record", str(other_record)]) == 1
    assert "another register record" in capsys.readouterr().out

    seal_b = PKILayout(hub.settings.pki.dir).cert_path("seal-b")
    assert main(["duplicate", "check", str(path), "--certificate", str(seal_b)]) == 1
    assert "NOT AS ISSUED" in capsys.readouterr().out

    edited = tmp_path / "edited.pdf"
    edited.write_bytes(attacks.replace_page_content(path.read_bytes()))
    assert main(["duplicate", "check", str(edited), "--certificate", str(cert)]) == 1
    assert "the signatures do not pass" in capsys.readouterr().out


@pytest.mark.usefixtures("offline")
async def test_a_file_that_cannot_be_read(hub: Hub, tmp_path: Path) -> None:
    cert = PKILayout(hub.settings.pki.dir).cert_path("seal-a")
    text = tmp_path / "not.pdf"
    text.write_bytes(b"plain text, not a PDF")
    assert main(["duplicate", "check", str(text), "--certificate", str(cert)]) == 3
    assert main(["duplicate", "check", str(tmp_path / "missing.pdf")]) == 3


@pytest.mark.usefixtures("offline")
async def test_a_file_without_the_kept_qr_text_is_not_as_issued(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The catalog key renamed, its length kept: the QR text is not found.
    _, path, cert = await _files(hub, tmp_path)
    stripped = tmp_path / "stripped.pdf"
    stripped.write_bytes(
        path.read_bytes().replace(b"/EdocxDuplicate", b"/EdocxOtherKey_")
    )
    assert main(["duplicate", "check", str(stripped), "--certificate", str(cert)]) == 1
    assert "keeps no e-duplicate's QR text" in capsys.readouterr().out


async def test_a_payload_under_another_address_is_refused(
    hub: Hub, tmp_path: Path
) -> None:
    _, path, _ = await _files(hub, tmp_path)
    with path.open("rb") as handle:
        kept = duplicateqr.kept_text(PdfFileReader(handle, strict=False))
    assert kept is not None
    message = qr.parse_qr_text(kept).message
    moved = qr.qr_text("http://127.0.0.1:8080/c/", "aaaaaaaaaaaaaaaa", message)

    pem = PKILayout(hub.settings.pki.dir).cert_path("seal-a").read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    assert duplicateqr.verify_text(kept, (der,)).code in kept
    with pytest.raises(CopyPayloadError, match="another duplicate's code"):
        duplicateqr.verify_text(moved, (der,))
