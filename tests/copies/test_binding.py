"""A payload counts only when the named body's seal signed it (offline too).

The forgeries are made by the hub itself with one key swapped: the copy's
payload names agency A but is signed, with the copy's seal signature, by
another agency's seal or by a person's key. Every signature passes and the
payload verifies with the certificate inside the file: only the binding of
the payload to its signer tells them from a copy A certified.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from edocx.cli import main
from edocx.copies import certify, duplicates
from edocx.copies.duplicatesign import DuplicateJob
from edocx.copies.sealing import CertifyJob
from tests.copies.test_certify import _certify, _check, _pdf
from tests.copies.test_duplicates import issued
from tests.web.hubkit import Hub

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def offline(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads the hub's PKI, as an operator's would."""
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(hub.settings.pki.dir))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)


def _sealing_with(monkeypatch: pytest.MonkeyPatch, hub: Hub, label: str) -> None:
    """Make the hub seal A's next copy (and its payload) with ``label``'s key."""
    real = certify._job

    def forged(*args: Any) -> CertifyJob:
        job = real(*args)
        key = args[0].compute.setup.credential(label, whose="the forgery")
        seal = dataclasses.replace(job.seal, credential=key)
        return dataclasses.replace(job, seal=seal)

    monkeypatch.setattr(certify, "_job", forged)


async def _forged(
    hub: Hub, scan: bytes, label: str, tmp_path: Path, mp: pytest.MonkeyPatch
) -> tuple[str, Path]:
    with mp.context() as patch:
        _sealing_with(patch, hub, label)
        status, body = await _certify(hub, scan)
    assert status == 201, body
    code = body["intake"]["code"]
    path = tmp_path / f"{label}.pdf"
    path.write_bytes(await _pdf(hub, code))
    return code, path


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("seal-b", "not a seal certificate of body 000.00.00.H41"),
        ("person-a-signer", "a person's certificate, not a body's seal"),
    ],
)
async def test_a_payload_signed_by_another_key_is_not_as_issued(
    hub: Hub, pdfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], label: str, why: str,
) -> None:  # fmt: skip
    scan = (pdfs / "empty-two-pages.pdf").read_bytes()
    code, path = await _forged(hub, scan, label, tmp_path, monkeypatch)

    assert main(["copy", "check", str(path)]) == 1
    said = capsys.readouterr().out
    assert "NOT AS ISSUED" in said and why in said, said
    assert "Payload signed by: " in said

    # The hub knows agency A's seal: the online check refuses it too.
    checked = await _check(hub, code, path.read_bytes())
    assert checked["file"]["unmodified"] is False
    assert checked["file"]["payload_valid"] is False


@pytest.mark.usefixtures("offline")
async def test_an_issued_copy_names_its_signer(
    hub: Hub, pdfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = await _certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes())
    assert status == 201, body
    path = tmp_path / "copy.pdf"
    path.write_bytes(await _pdf(hub, body["intake"]["code"]))

    assert main(["copy", "check", str(path)]) == 0
    said = capsys.readouterr().out
    assert "AS ISSUED" in said
    assert "Payload signed by: " in said and "000.00.00.H41" in said


@pytest.mark.usefixtures("offline")
async def test_a_duplicate_sealed_by_another_body_is_not_as_issued(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    real = duplicates._job

    def forged(*args: Any) -> DuplicateJob:
        key = args[0].compute.setup.credential("seal-b", whose="the forgery")
        return dataclasses.replace(real(*args), credential=key)

    with monkeypatch.context() as patch:
        patch.setattr(duplicates, "_job", forged)
        _, pdf = await issued(hub)
    path = tmp_path / "duplicate.pdf"
    path.write_bytes(pdf)

    assert main(["duplicate", "check", str(path)]) == 1
    said = capsys.readouterr().out
    assert "not a seal certificate of body 000.00.00.H41" in said, said
    assert "Payload signed by: " in said and "Văn phòng Chính phủ" in said


async def test_a_copy_without_the_certifiers_own_signature_is_not_as_issued(
    hub: Hub, pdfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    real = certify._job

    def sealed_twice(*args: Any) -> CertifyJob:
        job = real(*args)
        key = job.seal.credential
        return dataclasses.replace(
            job, certifier=dataclasses.replace(job.certifier, credential=key)
        )

    with monkeypatch.context() as patch:
        patch.setattr(certify, "_job", sealed_twice)
        status, body = await _certify(hub, (pdfs / "empty-two-pages.pdf").read_bytes())
    assert status == 201, body
    path = tmp_path / "no-certifier.pdf"
    path.write_bytes(await _pdf(hub, body["intake"]["code"]))
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(hub.settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_PKI__DIR", str(hub.settings.pki.dir))
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)

    assert main(["copy", "check", str(path)]) == 1
    assert "lacks the certifier's personal signature" in capsys.readouterr().out


async def test_a_certifier_without_a_key_takes_no_number(hub: Hub, pdfs: Path) -> None:
    before = await hub.count("copy_intakes")
    await hub.execute(
        "UPDATE users SET credential_label = 'missing-' || credential_label"
        " WHERE display_name = ?",
        ("Hoàng Thị Lụa",),
    )
    try:
        scan = (pdfs / "empty-two-pages.pdf").read_bytes()
        status, body = await _certify(hub, scan)
    finally:
        await hub.execute(
            "UPDATE users SET credential_label = substr(credential_label, 9)"
            " WHERE display_name = ?",
            ("Hoàng Thị Lụa",),
        )
    assert status == 409 and body["type"].endswith("/credential-unavailable"), body
    assert await hub.count("copy_intakes") == before
