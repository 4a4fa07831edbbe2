"""``require_passing``: the gate code calls before going on with a document."""

from __future__ import annotations

import pytest

from edocx.errors import VerificationError
from edocx.verification import VerifyOptions, require_passing, verify_pdf
from tests.verification.pdfs import blank_pdf

OPTIONS = VerifyOptions(trust_root_paths=(), allow_fetching=False)


def test_unsigned_document_passes_the_gate_only_when_allowed() -> None:
    report = verify_pdf(blank_pdf(), OPTIONS)

    require_passing(report, allow_unsigned=True)
    with pytest.raises(VerificationError) as raised:
        require_passing(report, allow_unsigned=False)
    assert "no signature" in raised.value.detail


def test_unreadable_document_never_passes_the_gate() -> None:
    report = verify_pdf(b"%PDF-1.7\nnot really", OPTIONS)

    with pytest.raises(VerificationError) as raised:
        require_passing(report, allow_unsigned=True)
    assert "UNUSABLE" in raised.value.detail
    assert raised.value.hint


def test_signed_document_without_anchors_is_stopped(signed_blt: bytes) -> None:
    report = verify_pdf(signed_blt, OPTIONS)

    with pytest.raises(VerificationError) as raised:
        require_passing(report, allow_unsigned=True)
    assert "'Signature1' is INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND" in (
        raised.value.detail
    )
