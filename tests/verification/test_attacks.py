"""Attacks on signed PDFs: none may pass, none may crash, each is named.

Every file is built here from the test PKI (see attacks.py and
rogue_certs.py). An attack passes this suite when the attacked signature is
not TOTAL-PASSED, the document's verdict is not PASSED, and the report says
what is wrong with the sub-indication a careful validator gives (ETSI EN
319 102-1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

import pytest
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm

from edocx.pki.devpki import PKILayout
from edocx.verification import (
    Indication,
    SubIndication,
    Verdict,
    VerifyOptions,
    render_text,
    verify_pdf,
)
from edocx.verification.report import SignatureReport, ValidationReport
from tests.verification import attacks
from tests.verification.pdfs import PKISigner, blank_pdf, fetch_crl, fill_text_field
from tests.verification.rogue_certs import (
    ENCIPHERMENT_ONLY,
    RogueIssuer,
    embed_revocation,
    sign_plain,
)

FAILED = Indication.TOTAL_FAILED
F = SubIndication


@dataclass
class Kit:
    """The signed documents the attacks start from, made on first use."""

    signer: PKISigner
    signed_blt: bytes
    passphrase: bytes

    @property
    def layout(self) -> PKILayout:
        return self.signer.layout

    @cached_property
    def key(self) -> signers.SimpleSigner:
        return self.signer.signer("person-a-signer")

    @cached_property
    def form(self) -> bytes:
        return self.signer.sign(blank_pdf(text_field=True), "person-a-signer")

    def certified(self, permission: MDPPerm) -> bytes:
        return self.signer.sign(
            blank_pdf(text_field=True), "seal-a", field="Seal", certify=permission
        )

    @cached_property
    def shadow(self) -> bytes:
        return self.signer.sign(attacks.shadow_document(), "person-a-signer")

    @cached_property
    def rogue(self) -> RogueIssuer:
        return RogueIssuer(self.layout, self.passphrase)


@pytest.fixture(scope="module")
def kit(test_signer: PKISigner, signed_blt: bytes, passphrase: bytes) -> Kit:
    return Kit(test_signer, signed_blt, passphrase)


@dataclass(frozen=True)
class Attack:
    build: Callable[[Kit], bytes]
    # The sub-indications a careful validator may give the attacked signature.
    expected: frozenset[SubIndication]
    field: str = "Signature1"
    # For attacks made after signing: the changes must be refused.
    changes_refused: bool = False


def attack(
    build: Callable[[Kit], bytes],
    *expected: SubIndication,
    field: str = "Signature1",
    changes_refused: bool = False,
) -> Attack:
    return Attack(build, frozenset(expected), field, changes_refused)


SIGNATURE_FORGERY = {
    "contents-not-cms": attack(
        lambda k: attacks.contents_not_cms(k.signed_blt), F.FORMAT_FAILURE
    ),
    "contents-null": attack(
        lambda k: attacks.contents_null(k.signed_blt), F.FORMAT_FAILURE
    ),
    "byte-range-missing": attack(
        lambda k: attacks.byte_range_missing(k.signed_blt), F.FORMAT_FAILURE
    ),
    "byte-range-null": attack(
        lambda k: attacks.byte_range_null(k.signed_blt), F.FORMAT_FAILURE
    ),
    "byte-range-wrong-arity": attack(
        lambda k: attacks.byte_range_wrong_arity(k.signed_blt, k.key),
        F.FORMAT_FAILURE,
    ),
    "byte-range-negative": attack(
        lambda k: attacks.byte_range_negative(k.signed_blt), F.FORMAT_FAILURE
    ),
    "byte-range-wide-gap": attack(
        lambda k: attacks.byte_range_wide_gap(k.signed_blt, k.key), F.FORMAT_FAILURE
    ),
    "byte-range-empty": attack(
        lambda k: attacks.byte_range_empty(k.signed_blt, k.key), F.FORMAT_FAILURE
    ),
    "signature-wrapping": attack(
        lambda k: attacks.signature_wrapping(k.signed_blt), F.FORMAT_FAILURE
    ),
    "unknown-subfilter": attack(
        lambda k: attacks.unknown_subfilter(k.signed_blt, k.key), F.FORMAT_FAILURE
    ),
}

LATER_UPDATES = {
    "replace-page-content": attack(
        lambda k: attacks.replace_page_content(k.signed_blt),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "add-page": attack(
        lambda k: attacks.add_page(k.signed_blt),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "add-annotation": attack(
        lambda k: attacks.add_annotation(k.signed_blt),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "evil-annotation-freetext": attack(
        lambda k: attacks.add_annotation(k.signed_blt, "/FreeText"),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "shadow-hide": attack(
        lambda k: attacks.shadow_hide(k.shadow),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "shadow-replace": attack(
        lambda k: fill_text_field(k.form, "1.000.000.000 VND"),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "shadow-hide-and-replace": attack(
        lambda k: attacks.shadow_hide_and_replace(k.shadow),
        F.FORMAT_FAILURE,
        changes_refused=True,
    ),
    "certified-then-form-filled": attack(
        lambda k: fill_text_field(k.certified(MDPPerm.NO_CHANGES), "01/QĐ"),
        F.FORMAT_FAILURE,
        field="Seal",
        changes_refused=True,
    ),
    "certified-then-annotated": attack(
        lambda k: attacks.add_annotation(k.certified(MDPPerm.NO_CHANGES)),
        F.FORMAT_FAILURE,
        field="Seal",
        changes_refused=True,
    ),
    "certified-for-forms-then-annotated": attack(
        lambda k: attacks.add_annotation(k.certified(MDPPerm.FILL_FORMS), "/FreeText"),
        F.FORMAT_FAILURE,
        field="Seal",
        changes_refused=True,
    ),
}


def check_attack(report: ValidationReport, case: Attack) -> SignatureReport:
    text = render_text(report)
    assert report.verdict is not Verdict.PASSED, text
    signature = next(s for s in report.signatures if s.field == case.field)
    assert signature.indication is not Indication.TOTAL_PASSED, text
    assert signature.sub_indication in case.expected, text
    assert signature.reasons, text
    if case.changes_refused:
        assert signature.changes_allowed is False, text
    return signature


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=name) for name, c in SIGNATURE_FORGERY.items()]
)
def test_forged_signature_structure_fails(
    case: Attack, kit: Kit, offline: VerifyOptions
) -> None:
    report = verify_pdf(case.build(kit), offline)

    signature = check_attack(report, case)

    assert signature.indication is FAILED
    assert report.verdict is Verdict.FAILED


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=name) for name, c in LATER_UPDATES.items()]
)
def test_changes_after_signing_fail(
    case: Attack, kit: Kit, offline: VerifyOptions
) -> None:
    report = verify_pdf(case.build(kit), offline)

    signature = check_attack(report, case)

    assert signature.indication is FAILED
    assert (signature.intact, signature.valid) == (True, True)


NO_SIGNATURE_VALUE = {
    "contents-missing": attacks.contents_missing,
    "contents-empty": attacks.contents_empty,
    "contents-zeros": attacks.contents_zeros,
}


@pytest.mark.parametrize(
    "build", [pytest.param(b, id=name) for name, b in NO_SIGNATURE_VALUE.items()]
)
def test_signature_without_a_value_signs_nothing(
    build: Callable[[bytes], bytes], kit: Kit, offline: VerifyOptions
) -> None:
    # A signature dictionary without a signature value is a reserved
    # placeholder, as DSS reads it: reported, and nothing is signed.
    report = verify_pdf(build(kit.signed_blt), offline)

    assert report.verdict is Verdict.UNUSABLE, render_text(report)
    assert report.signatures == ()
    assert report.has_problem("empty-signature")
    assert report.has_problem("no-signature")


def test_bytes_after_the_last_eof_are_not_signed(
    kit: Kit, offline: VerifyOptions
) -> None:
    report = verify_pdf(attacks.append_after_eof(kit.signed_blt), offline)

    check_attack(report, attack(lambda k: b"", F.FORMAT_FAILURE))


def test_rewritten_signature_dictionary_shows_what_was_signed(
    kit: Kit, offline: VerifyOptions
) -> None:
    honest = only(verify_pdf(kit.signed_blt, offline))
    forged = attacks.rewrite_signature_dict(
        kit.signed_blt,
        Reason="Phê duyệt hợp đồng 1.000.000.000 VND",
        Name="Trần Văn Giả",
        M="D:20200101000000+07'00'",
    )

    report = verify_pdf(forged, offline)
    signature = check_attack(
        report, attack(lambda k: b"", F.FORMAT_FAILURE, changes_refused=True)
    )

    assert signature.claimed_signing_time == honest.claimed_signing_time
    assert signature.signer == honest.signer
    assert signature.timestamp == honest.timestamp


def only(report: ValidationReport) -> SignatureReport:
    assert len(report.signatures) == 1, render_text(report)
    return report.signatures[0]


def test_sneaky_signature_over_certified_content(
    kit: Kit, offline: VerifyOptions
) -> None:
    # Certification allows form filling and signing; the new signature's
    # appearance is drawn over the certified page content.
    certified = kit.certified(MDPPerm.FILL_FORMS)
    sneaky = kit.signer.sign(
        certified, "seal-b", field="Sneaky", box=(100, 600, 300, 800)
    )

    report = verify_pdf(sneaky, offline)

    check_attack(
        report,
        attack(lambda k: b"", F.FORMAT_FAILURE, field="Seal", changes_refused=True),
    )


# Signer certificates the chain, the time or the key usage rule out.


def rogue_signed(
    kit: Kit, signer: signers.SimpleSigner, *, revoked_at: datetime | None = None
) -> bytes:
    """B-T by ``signer`` (B-B with ``revoked_at``), with the issuer's CRL."""
    now = datetime.now(UTC)
    serial = signer.signing_cert.serial_number
    revoked = {serial: revoked_at} if revoked_at else {}
    this_update = (revoked_at or now) + timedelta(seconds=1)
    if revoked_at is None:
        this_update -= timedelta(minutes=10)
    crl = kit.rogue.crl(
        revoked, this_update=this_update, next_update=this_update + timedelta(days=1)
    )
    tsa_url = None if revoked_at else kit.signer.tsa_url
    signed = sign_plain(blank_pdf(), signer, tsa_url=tsa_url)
    chain = kit.rogue.chain()
    return embed_revocation(
        signed, [signer.signing_cert, *chain], [crl, fetch_crl(chain[0])]
    )


def test_signer_revoked_before_signing_fails(
    signed_by_revoked: bytes, offline: VerifyOptions
) -> None:
    report = verify_pdf(signed_by_revoked, offline)

    # EN 319 102-1 would say REVOKED (the signature timestamp is later than
    # the revocation); pyHanko's past validation says REVOKED_NO_POE.
    signature = check_attack(report, attack(lambda k: b"", F.REVOKED, F.REVOKED_NO_POE))
    assert signature.revocation.revoked_at is not None
    assert signature.timestamp is not None
    assert signature.revocation.revoked_at < signature.timestamp.time


def test_signer_revoked_after_a_claimed_signing_time_is_not_trusted(
    kit: Kit, offline: VerifyOptions
) -> None:
    # Nothing but the signer's word dates the signature before the
    # revocation: a stolen key signs with any date it likes.
    now = datetime.now(UTC)
    signer = kit.rogue.issue(
        "Người ký bị thu hồi sau",
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=300),
    )
    pdf = rogue_signed(kit, signer, revoked_at=now + timedelta(minutes=1))

    report = verify_pdf(pdf, offline, at=now + timedelta(minutes=5))
    signature = check_attack(report, attack(lambda k: b"", F.REVOKED_NO_POE))

    assert signature.claimed_signing_time is not None
    assert signature.claimed_signing_time < now + timedelta(minutes=1)


CERTIFICATE_FLAWS = {
    "expired": (
        dict(days_from=-3 * 365, days_to=-365),
        {F.OUT_OF_BOUNDS_NO_POE, F.OUT_OF_BOUNDS_NOT_REVOKED, F.EXPIRED},
    ),
    "not-yet-valid": (
        dict(days_from=365, days_to=2 * 365),
        {F.NOT_YET_VALID},
    ),
    "no-signing-key-usage": (
        dict(days_from=-30, days_to=300, usage=ENCIPHERMENT_ONLY),
        {F.CHAIN_CONSTRAINTS_FAILURE, F.SIG_CONSTRAINTS_FAILURE},
    ),
}


@pytest.mark.parametrize("flaw", list(CERTIFICATE_FLAWS))
def test_signer_certificate_flaw_is_caught(
    flaw: str, kit: Kit, offline: VerifyOptions
) -> None:
    spec, expected = CERTIFICATE_FLAWS[flaw]
    now = datetime.now(UTC)
    signer = kit.rogue.issue(
        f"Người ký ({flaw})",
        not_before=now + timedelta(days=spec["days_from"]),  # type: ignore[arg-type]
        not_after=now + timedelta(days=spec["days_to"]),  # type: ignore[arg-type]
        **({"usage": spec["usage"]} if "usage" in spec else {}),  # type: ignore[arg-type]
    )

    report = verify_pdf(rogue_signed(kit, signer), offline)

    check_attack(report, attack(lambda k: b"", *expected))


def test_timestamp_before_the_certificate_was_valid_fails(
    kit: Kit, offline: VerifyOptions
) -> None:
    # Verified once the certificate is valid, the signature timestamp still
    # proves the signature existed before it was: not made under it.
    now = datetime.now(UTC)
    signer = kit.rogue.issue(
        "Người ký trước hiệu lực",
        not_before=now + timedelta(hours=1),
        not_after=now + timedelta(days=300),
    )
    pdf = rogue_signed(kit, signer)

    report = verify_pdf(pdf, offline, at=now + timedelta(hours=2))

    signature = check_attack(report, attack(lambda k: b"", F.NOT_YET_VALID))
    assert signature.indication is FAILED


def test_certificate_expired_after_its_timestamp_still_passes(
    kit: Kit, offline: VerifyOptions
) -> None:
    # The counterpart of the expired signer: the signature timestamp proves
    # the signature existed while the certificate was valid and not revoked.
    now = datetime.now(UTC)
    signer = kit.rogue.issue(
        "Người ký hết hạn sau khi ký",
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(hours=1),
    )
    pdf = rogue_signed(kit, signer)

    report = verify_pdf(pdf, offline, at=now + timedelta(hours=2))

    signature = report.signatures[0]
    assert signature.indication is Indication.TOTAL_PASSED, render_text(report)
    assert signature.timestamp is not None
    assert signature.timestamp.time < now + timedelta(hours=1)
