"""The asn1crypto correction encodes every value byte for byte as the library.

Two kinds of proof: values built, changed and re-encoded the way pyHanko and
certomancer do it, each built twice and dumped once by the library's own
``dump`` and once by the corrected one; and every encoding made while edocx
signs at each level (with the TSA answering in this process), each checked
at the moment it is made against the library's own ``dump`` of the same
value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, core, tsp, x509
from pyhanko.keys import load_cert_from_pemder

from edocx.signing import Level, asn1fix, prepare_draft, sign_plain_outcome
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory

ORIGINAL = asn1fix._ORIGINAL


def _dump_with(method: Callable[..., bytes], build: Callable[[], Any]) -> bytes:
    saved = core.Asn1Value.dump
    core.Asn1Value.dump = method  # type: ignore[method-assign]
    try:
        value = build()
        first: bytes = value.dump()
        # A second dump and a forced one must agree with the first.
        assert value.dump() == first
        forced: bytes = value.dump(force=True)
        return first + b"|" + forced
    finally:
        core.Asn1Value.dump = saved  # type: ignore[method-assign]


def _same_both_ways(build: Callable[[], Any]) -> bytes:
    library = _dump_with(ORIGINAL, build)
    corrected = _dump_with(asn1fix.dump_reading_contents_once, build)
    assert corrected == library
    return library


def test_install_is_explicit_idempotent_and_reversible() -> None:
    assert not asn1fix.installed()  # importing the module changed nothing
    asn1fix.install()
    asn1fix.install()
    assert asn1fix.installed()
    asn1fix.uninstall()
    assert core.Asn1Value.dump is ORIGINAL


def test_a_certificate_rebuilt_field_by_field(dev_pki: Any) -> None:
    cert = load_cert_from_pemder(str(dev_pki.cert_path("tsa")))

    def rebuild() -> x509.Certificate:
        # As certomancer builds its certificates: from parts, then dumped.
        src = cert["tbs_certificate"]
        extensions = [
            x509.Extension(
                {
                    "extn_id": ext["extn_id"].native,
                    "critical": ext["critical"].native,
                    "extn_value": ext["extn_value"].parsed,
                }
            )
            for ext in src["extensions"]
        ]
        tbs = x509.TbsCertificate(
            {
                "version": "v3",
                "serial_number": src["serial_number"].native,
                "signature": algos.SignedDigestAlgorithm.load(src["signature"].dump()),
                "issuer": x509.Name.load(src["issuer"].dump()),
                "validity": x509.Validity.load(src["validity"].dump()),
                "subject": x509.Name.load(src["subject"].dump()),
                "subject_public_key_info": src["subject_public_key_info"],
                "extensions": extensions,
            }
        )
        return x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": algos.SignedDigestAlgorithm.load(
                    cert["signature_algorithm"].dump()
                ),
                "signature_value": cert["signature_value"].native,
            }
        )

    assert _same_both_ways(rebuild).startswith(cert.dump())


def test_a_signed_data_changed_after_its_first_encoding(dev_pki: Any) -> None:
    cert = load_cert_from_pemder(str(dev_pki.cert_path("tsa")))

    def signed_data() -> cms.ContentInfo:
        info = _content_info(cert)
        info.dump()
        # As pyHanko adds the timestamp token to a finished SignerInfo.
        signer = info["content"]["signer_infos"][0]
        signer["unsigned_attrs"] = cms.CMSAttributes(
            [
                cms.CMSAttribute(
                    {
                        "type": "signature_time_stamp_token",
                        "values": [_content_info(cert)],
                    }
                )
            ]
        )
        return info

    encoded = _same_both_ways(signed_data)
    assert len(encoded) > 2 * len(cert.dump())


def test_explicit_tags_choices_and_an_indefinite_length() -> None:
    def tagged() -> core.Sequence:
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": "1.2.3.4",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": bytes(32),
                },
                "serial_number": 7,
                "gen_time": datetime(2025, 3, 5, 8, 0, tzinfo=UTC),
                "tsa": x509.GeneralName(
                    name="directory_name",
                    value=x509.Name.build({"common_name": "Thời gian"}),
                ),
            }
        )
        info["accuracy"] = {"seconds": 1}
        return info

    _same_both_ways(tagged)

    # BER with an indefinite length: both re-encode it as DER.
    ber = b"\x30\x80\x02\x01\x05\x04\x03abc\x00\x00"
    _same_both_ways(lambda: core.Sequence.load(ber))


def _content_info(cert: x509.Certificate) -> cms.ContentInfo:
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [bytes(32)]}),
        ]
    )
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": cert.issuer, "serial_number": cert.serial_number},
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signed_attrs": attrs,
            "signature": bytes(256),
        }
    )
    return cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": cms.SignedData(
                {
                    "version": "v1",
                    "digest_algorithms": [{"algorithm": "sha256"}],
                    "encap_content_info": {"content_type": "data"},
                    "certificates": [cert],
                    "signer_infos": [signer],
                }
            ),
        }
    )


class _Checker:
    """The corrected ``dump``, checked against the library's at each call.

    At every outermost ``dump`` of a thread, the library's own method then
    encodes the same value again from its parts (its nested calls go to the
    library's method too) and the two encodings must be equal.
    """

    def __init__(self) -> None:
        self.checked = 0
        self.kinds: set[str] = set()
        self.mismatches: list[str] = []
        self._depth = threading.local()
        self._lock = threading.RLock()

    def __call__(self, value: Any, force: bool = False) -> bytes:
        depth = getattr(self._depth, "n", 0)
        if depth:
            return asn1fix.dump_reading_contents_once(value, force)
        with self._lock:
            self._depth.n = 1
            try:
                corrected = asn1fix.dump_reading_contents_once(value, force)
                core.Asn1Value.dump = ORIGINAL  # type: ignore[method-assign]
                try:
                    library = ORIGINAL(value, force)
                finally:
                    core.Asn1Value.dump = self  # type: ignore[method-assign]
            finally:
                self._depth.n = 0
        self.checked += 1
        self.kinds.add(type(value).__name__)
        if corrected != library:
            self.mismatches.append(type(value).__name__)
        return corrected


def test_every_encoding_made_while_signing_is_the_librarys(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    draft = prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None).pdf
    checker = _Checker()
    core.Asn1Value.dump = checker  # type: ignore[method-assign]
    try:
        signed = {
            level: sign_plain_outcome(
                draft, replace(jobs.plain(f"doc-asn1-{level}"), level=level)
            ).pdf
            for level in Level
        }
    finally:
        core.Asn1Value.dump = ORIGINAL  # type: ignore[method-assign]

    assert checker.checked > 100
    # The signature's container and attributes, the TSA's token (the TSA
    # answers in this process) and the revocation data all went through it.
    assert {"ContentInfo", "CMSAttributes", "TSTInfo", "TimeStampResp"} <= (
        checker.kinds
    )
    assert checker.mismatches == []
    # And the files themselves validate with the library untouched.
    for level, pdf in signed.items():
        reader = pdfcheck.read(pdf)
        status = pdfcheck.validate(
            reader.embedded_regular_signatures[0], jobs.pki.root_cert_path
        )
        assert status.bottom_line, (level, status.pretty_print_details())
