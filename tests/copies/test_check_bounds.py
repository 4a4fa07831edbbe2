"""The public check of a copy stays within the worker pool's bounds.

Anyone may post a file to ``POST /api/v1/copies/{code}/check``. Besides
the signatures, the check reads the copy's entry in the file's catalog and
the QR text it points to, objects the signature verifier never opens. A
signed file whose QR text is an array of millions of numbers costs tens
of seconds of a core and about a gigabyte when parsed in the hub's own
process; in the worker pool it is stopped at the bound of public checks
(``verification.timeout_s``), refused with a 422 problem, and the hub
goes on answering. A copy entry hidden in a stream that inflates to
hundreds of megabytes is stopped by pyHanko's decoding limits and read as
not this copy.
"""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from edocx.config import Settings, WorkerSettings
from edocx.copies.statement import CATALOG_KEY, QR_KEY
from edocx.pki.devpki import PKILayout
from edocx.pki.server import PKIServerThread
from tests.web.hubkit import Hub, hub_settings, problem, running_hub

pytestmark = pytest.mark.asyncio(loop_scope="function")

CERTIFIER = ("a", "certifier")
INTAKE = {"requester": "Lê Văn Tám", "document_name": "Bằng tốt nghiệp THPT"}
# Numbers in the hostile QR text: parsed in-process, about half a minute.
HOSTILE_NUMBERS = 3_000_000
BOUND_S = 6.0
BOMB_MB = 300


@pytest.fixture
def settings(
    test_settings: Settings, dev_pki: PKILayout, pki_server: PKIServerThread,
    tmp_path: Path,
) -> Settings:  # fmt: skip
    return hub_settings(test_settings, tmp_path / "var")


def _bounded(settings: Settings) -> Settings:
    """The same hub with one worker and a short bound on public checks."""
    workers = WorkerSettings(processes=1)
    verification = settings.verification.model_copy(update={"timeout_s": BOUND_S})
    return settings.model_copy(
        update={"workers": workers, "verification": verification}
    )


def _hostile_pdf() -> bytes:
    """One page; the catalog's copy entry holds a QR text of many numbers."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R %s 4 0 R >>" % CATALOG_KEY.encode(),
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        4: b"<< %s [%s] >>" % (QR_KEY.encode(), b"0 " * HOSTILE_NUMBERS),
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in objects.items():
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _bomb_pdf() -> bytes:
    """One page; the copy entry sits in an object stream of 300 MB inflated."""
    head = b"4 0 "
    packer = zlib.compressobj(9)
    packed = packer.compress(head + b"<< %s (x) >>" % QR_KEY.encode())
    spaces = b" " * (1 << 20)
    packed += b"".join(packer.compress(spaces) for _ in range(BOMB_MB))
    packed += packer.flush()
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R %s 4 0 R >>" % CATALOG_KEY.encode(),
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        5: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
        b"stream\n%s\nendstream" % (len(head), len(packed), packed),
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    # Object 4 is the first (0) of object stream 5.
    rows = {0: _xref_row(0, 0, 0xFFFF), 4: _xref_row(2, 5, 0)}
    for number, body in objects.items():
        rows[number] = _xref_row(1, len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    rows[6] = _xref_row(1, xref)
    table = b"".join(rows[n] for n in range(7))
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R"
    out += b" /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(table), table)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _xref_row(kind: int, field: int, index: int = 0) -> bytes:
    """One row of a cross-reference stream of /W [1 4 2]."""
    return bytes([kind]) + field.to_bytes(4, "big") + index.to_bytes(2, "big")


async def _signed(pdf: bytes, pki: PKILayout, passphrase: bytes) -> bytes:
    """``pdf`` signed by another agency's seal key (a real CMS signature)."""
    signer = signers.SimpleSigner.load_pkcs12(
        pki.p12_path("seal-b"), passphrase=passphrase
    )
    assert signer is not None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = await signers.async_sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name="Seal"), signer=signer
    )
    return out.getvalue()


async def _certify(hub: Hub, scan: bytes) -> str:
    form = FormData()
    form.add_field("intake", json.dumps(INTAKE), content_type="application/json")
    form.add_field(
        "file", io.BytesIO(scan), filename="scan.pdf", content_type="application/pdf"
    )
    response = await hub.post(CERTIFIER, "/copies", data=form)
    body: dict[str, Any] = await response.json()
    assert response.status == 201, body
    return str(body["intake"]["code"])


async def _post_check(hub: Hub, code: str, pdf: bytes) -> Any:
    return await hub.client.post(
        f"/api/v1/copies/{code}/check", data=io.BytesIO(pdf),
        headers={"Content-Type": "application/pdf"},
    )  # fmt: skip


async def test_hostile_file_is_refused_within_the_bound(
    settings: Settings, pdfs: Path, dev_pki: PKILayout, passphrase: bytes
) -> None:
    scan = (pdfs / "empty-two-pages.pdf").read_bytes()
    async with running_hub(settings) as hub:
        code = await _certify(hub, scan)
        genuine = await (await hub.get(CERTIFIER, f"/copies/{code}/pdf")).read()
    hostile = await _signed(_hostile_pdf(), dev_pki, passphrase)

    async with running_hub(_bounded(settings)) as hub:
        # The genuine copy checks within the bound (the worker warmed up).
        first = await _post_check(hub, code, genuine)
        assert first.status == 200, await first.text()
        assert (await first.json())["file"]["unmodified"] is True

        # The hostile file: the worker is stopped at the bound.
        refused = await _post_check(hub, code, hostile)
        await problem(refused, 422, "worker-timeout")

        # A copy entry that inflates past pyHanko's decoding limits is
        # answered at once: the file is not this copy.
        bomb = await _signed(_bomb_pdf(), dev_pki, passphrase)
        answered = await _post_check(hub, code, bomb)
        assert answered.status == 200, await answered.text()
        checked = (await answered.json())["file"]
        assert checked["unmodified"] is False and checked["payload_valid"] is False
        assert "QR payload: the file is not a readable PDF" in checked["problems"]

        # The hub goes on answering, with a fresh worker.
        entry = await hub.client.get(f"/api/v1/copies/{code}")
        assert entry.status == 200
        again = await _post_check(hub, code, genuine)
        assert again.status == 200, await again.text()
        assert (await again.json())["file"]["unmodified"] is True
