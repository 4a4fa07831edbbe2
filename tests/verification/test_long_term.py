"""A B-LT document still verifies offline after its revocation evidence expired.

The OCSP responses embedded at signing time are valid for minutes; a
recipient verifies hours or years later. The signature timestamp proves the
signature existed while that evidence was current.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edocx.verification import Indication, Verdict, VerifyOptions, verify_pdf


@pytest.mark.parametrize("later", [timedelta(hours=2), timedelta(days=40)])
def test_blt_passes_long_after_signing(
    signed_blt: bytes, offline: VerifyOptions, later: timedelta
) -> None:
    report = verify_pdf(signed_blt, offline, at=datetime.now(UTC) + later)

    signature = report.signatures[0]
    assert report.verdict is Verdict.PASSED, signature.reasons
    assert signature.timestamp is not None and signature.timestamp.time_vn
    assert any(
        reason.en.startswith(f"validated at {signature.timestamp.time_vn}")
        for reason in signature.reasons
    )


def test_revoked_signer_still_fails_later(
    signed_by_revoked: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(
        signed_by_revoked, offline, at=datetime.now(UTC) + timedelta(days=2)
    )

    assert report.verdict is not Verdict.PASSED
    assert report.signatures[0].indication is not Indication.TOTAL_PASSED


def test_signature_without_timestamp_gets_no_second_chance(
    signed_bt: bytes, offline: VerifyOptions
) -> None:
    # B-T carries a timestamp but no revocation evidence: nothing to judge.
    report = verify_pdf(signed_bt, offline, at=datetime.now(UTC) + timedelta(hours=2))

    assert report.verdict is Verdict.INDETERMINATE
