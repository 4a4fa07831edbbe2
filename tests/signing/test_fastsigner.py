"""The fast signing path: a key parsed once, one signature per document, one
timestamp request per signature over a kept connection, and files that
unmodified pyHanko validates in strict mode."""

from __future__ import annotations

import asyncio
import io
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, keys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from edocx.errors import ConfigurationError, TimestampError
from edocx.pki.credentials import load_signer
from edocx.signing import (
    Level,
    asn1fix,
    fastsigner,
    prepare_draft,
    sign_plain_outcome,
    tsaclient,
)
from edocx.signing.fastsigner import HeldKeySigner, held_key, reserved_bytes
from edocx.signing.keycheck import check_signing_key, forget_checked_paths
from edocx.signing.tsaclient import KeepAliveTimeStamper, kept_timestamper
from tests.conftest import free_port
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


@pytest.fixture(scope="module")
def draft(unsigned_dir: Path) -> bytes:
    return prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None).pdf


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count raw signatures and TSA requests made through the fast path."""
    counts = {"sign_raw": 0, "tsa": 0}
    sign_raw = HeldKeySigner.sign_raw
    request = KeepAliveTimeStamper.async_request_tsa_response

    def counting_sign_raw(self: HeldKeySigner, data: bytes, md: str) -> bytes:
        counts["sign_raw"] += 1
        return sign_raw(self, data, md)

    async def counting_request(self: KeepAliveTimeStamper, req: Any) -> Any:
        counts["tsa"] += 1
        return await request(self, req)

    monkeypatch.setattr(HeldKeySigner, "sign_raw", counting_sign_raw)
    monkeypatch.setattr(
        KeepAliveTimeStamper, "async_request_tsa_response", counting_request
    )
    return counts


@pytest.fixture
def corrected() -> Iterator[None]:
    """Sign as the service does, with the asn1crypto correction in place."""
    asn1fix.install()
    yield
    asn1fix.uninstall()


def test_the_held_key_signs_as_pyhanko_does(jobs: JobFactory) -> None:
    stock = load_signer(jobs.credential("person-a-signer"))
    held = held_key(stock)

    assert isinstance(held, HeldKeySigner)
    assert held_key(stock) is held  # parsed once per process
    data = b"van ban can ky"
    # PKCS#1 v1.5 is deterministic: the same key gives the same bytes.
    assert held.sign_raw(data, "sha256") == stock.sign_raw(data, "sha256")


def test_the_held_key_signs_with_ecdsa() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    stock = SimpleSigner(
        signing_cert=_self_signed(key),
        signing_key=keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore(),
    )

    signature = held_key(stock).sign_raw(b"con dau", "sha256")

    key.public_key().verify(signature, b"con dau", ec.ECDSA(hashes.SHA256()))


def test_one_signature_and_one_timestamp_per_document(
    jobs: JobFactory, draft: bytes, counted: dict[str, int]
) -> None:
    job = replace(jobs.plain("doc-fast-once"), level=Level.B_T)
    sign_plain_outcome(draft, job)  # the process's first: learns the TSA
    counted.update(sign_raw=0, tsa=0)

    signed = sign_plain_outcome(draft, job).pdf

    assert counted == {"sign_raw": 1, "tsa": 1}
    sig = pdfcheck.read(signed).embedded_regular_signatures[0]
    reserved = bytes(sig.sig_object["/Contents"])
    container = len(cms.ContentInfo.load(reserved).dump())
    # Room enough, and not much more than needed.
    assert container < len(reserved) < 2 * container


def test_b_lta_asks_the_kept_tsa_twice_and_validates_each_path_once(
    jobs: JobFactory,
    draft: bytes,
    counted: dict[str, int],
    validations: Counter[bytes],
) -> None:
    job = replace(jobs.plain("doc-fast-lta-once"), level=Level.B_LTA)
    sign_plain_outcome(draft, job)  # the process's first: learns the TSA
    counted.update(sign_raw=0, tsa=0)
    validations.clear()

    signed = sign_plain_outcome(draft, job).pdf

    # The signature timestamp and the document timestamp, both over the kept
    # connection; no token asked for only to size either.
    assert counted == {"sign_raw": 1, "tsa": 2}
    # The signer's path and the TSA's, once each, though both timestamps
    # need the TSA's revocation data.
    assert sorted(validations.values()) == [1, 1]
    reader = pdfcheck.read(signed)
    assert len(list(reader.embedded_timestamp_signatures)) == 1


def test_the_reckoned_room_holds_a_b_lt_signature(jobs: JobFactory) -> None:
    signer = held_key(load_signer(jobs.credential("seal-a")))
    stamper = kept_timestamper((jobs.tsa_url,))
    token = asyncio.run(stamper.async_dummy_response("sha256"))

    room = reserved_bytes(signer, stamper)

    certs = sum(len(c.dump()) for c in signer.cert_registry)
    assert room // 2 > certs + len(token.dump()) + fastsigner.SIGNATURE_ALLOWANCE
    assert reserved_bytes(signer, None) < room


@pytest.mark.parametrize("level", list(Level), ids=str)
def test_fast_path_files_validate_with_pyhanko_untouched(
    jobs: JobFactory, draft: bytes, corrected: None, level: Level
) -> None:
    job = replace(jobs.plain(f"doc-fast-{level}"), level=level)
    signed = sign_plain_outcome(draft, job).pdf
    asn1fix.uninstall()

    reader = PdfFileReader(io.BytesIO(signed), strict=True)
    for sig in reader.embedded_regular_signatures:
        status = pdfcheck.validate(sig, jobs.pki.root_cert_path)
        assert status.bottom_line, status.pretty_print_details()
        assert status.intact and status.valid
        assert (status.timestamp_validity is not None) == level.timestamped


def test_the_tsa_connection_is_kept_between_requests(jobs: JobFactory) -> None:
    stamper = KeepAliveTimeStamper(jobs.tsa_url)

    try:
        asyncio.run(stamper.async_timestamp(bytes(32), "sha256"))
        first = stamper._local.kept.conn
        token = asyncio.run(stamper.async_timestamp(bytes(32), "sha256"))
        again = stamper._local.kept.conn
    finally:
        stamper.close()

    assert again is first
    assert token["content_type"].native == "signed_data"


def test_a_refused_tsa_reads_as_before() -> None:
    url = f"http://127.0.0.1:{free_port()}/tsa"
    stamper = tsaclient.KeptFallbackTimestamper((url,), timeout_s=2)

    with pytest.raises(TimestampError) as caught:
        asyncio.run(stamper.async_timestamp(bytes(32), "sha256"))

    assert f"{url}: connection refused" in caught.value.detail


def test_a_silent_tsa_is_left_after_its_timeout() -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/tsa"
    stamper = tsaclient.KeptFallbackTimestamper((url,), timeout_s=0.3)

    with silent, pytest.raises(TimestampError) as caught:
        asyncio.run(stamper.async_timestamp(bytes(32), "sha256"))

    assert f"{url}: no answer within the timeout" in caught.value.detail


def test_a_passed_path_check_is_kept_for_signatures_made_now(
    jobs: JobFactory, tmp_path: Path
) -> None:
    # An anchor file of this test only: once it is gone, only a kept check
    # can pass without reading it.
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(jobs.pki.root_cert_path.read_bytes())
    job = replace(jobs.plain("doc-fast-keycheck"), trust_root_paths=(anchor,))
    check_signing_key(job)
    anchor.unlink()

    check_signing_key(job)  # kept: nothing fetched, nothing read
    with pytest.raises(ConfigurationError):
        # Another moment is checked in full.
        check_signing_key(replace(job, at=job.at - timedelta(hours=2)))
    forget_checked_paths()
    with pytest.raises(ConfigurationError):
        check_signing_key(job)


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Thử ECDSA")])
    now = datetime.now(UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
