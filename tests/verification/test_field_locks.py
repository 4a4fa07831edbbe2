"""FieldMDP locks (ISO 32000-1 Table 256): what a signature forbids to change.

Real signed PDFs: the hub's own Decree 30/2020 flow (the personal
signature locks every field but the number, the date and the seal) and
signatures made with pyHanko under each action, /All, /Include and
/Exclude. A later signature in a locked signature field, or a value in a
locked text field, fails the locking signature and is named in the change
list in English and Vietnamese; what the lock leaves open, and document
timestamps, stay harmless. pyHanko's own validation is asked too, and must
agree.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    SigFieldSpec,
    SigSeedSubFilter,
    append_signature_field,
)
from pyhanko_certvalidator import ValidationContext

from edocx.pki.devpki import PKILayout
from edocx.signing import (
    Level,
    number_and_seal,
    prepare_draft,
    sign_personal,
    sign_plain,
)
from edocx.signing.fields import DATE_FIELD, NUMBER_FIELD
from edocx.signing.issue import PERSONAL_FIELD, SEAL_FIELD
from edocx.verification import VerifyOptions, verify_pdf
from edocx.verification.fieldlocks import FieldLock, read_locks
from edocx.verification.report import (
    ChangeKind,
    ModificationClass,
    SignatureReport,
    ValidationReport,
    Verdict,
)
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory
from tests.verification.pdfs import (
    TEXT_FIELD,
    PKISigner,
    add_document_timestamp,
    blank_pdf,
    fill_text_field,
    load_cert,
)

EMPTY_FIELD = "Approval"
OTHER_FIELD = "Review"
LOCKING_FIELD = "Lock1"


def with_empty_fields(pdf: bytes, *names: str) -> bytes:
    """Add invisible, empty signature fields (an agency's approval slots)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name in names:
        append_signature_field(writer, SigFieldSpec(name))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def personal(jobs: JobFactory) -> bytes:
    """A draft with an empty signature field, after the personal signature."""
    draft = prepare_draft(with_empty_fields(blank_pdf(), EMPTY_FIELD), None)
    return sign_personal(draft.pdf, jobs.personal("doc-lock"))


def sign_locking(signer: PKISigner, pdf: bytes, lock: FieldMDPSpec) -> bytes:
    """PAdES B-LT by person A in a new field that locks fields as ``lock`` says."""
    context = ValidationContext(
        trust_roots=[load_cert(signer.layout.root_cert_path)],
        other_certs=[load_cert(p) for p in signer.layout.chain_cert_paths],
        allow_fetching=True,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=LOCKING_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=True,
        validation_context=context,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer.signer("person-a-signer"),
        timestamper=timestamps.HTTPTimeStamper(signer.tsa_url),
        new_field_spec=SigFieldSpec(LOCKING_FIELD, field_mdp_spec=lock),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return bytes(pdf_signer.sign_pdf(writer).getvalue())


def locked_form(signer: PKISigner, action: FieldMDPAction, *names: str) -> bytes:
    """Two empty signature fields and a text field, then the locking signature."""
    draft = with_empty_fields(blank_pdf(text_field=True), EMPTY_FIELD, OTHER_FIELD)
    fields = list(names) if action is not FieldMDPAction.ALL else None
    return sign_locking(signer, draft, FieldMDPSpec(action, fields))


def signature(report: ValidationReport, name: str) -> SignatureReport:
    return next(s for s in report.signatures if s.field == name)


def pyhanko_accepts(pdf: bytes, field: str, signer: PKISigner) -> bool:
    reader = pdfcheck.read(pdf)
    sig = pdfcheck.signature(reader, field)
    return bool(pdfcheck.validate(sig, signer.layout.root_cert_path).bottom_line)


def assert_lock_broken(sig: SignatureReport, field: str, action: str) -> None:
    """The signature fails, and its change list says which lock broke."""
    en = f"field {field!r} is locked by this signature (FieldMDP {action})"
    vi = f"chữ ký này đã khóa trường {field!r} (FieldMDP {action})"
    assert not sig.passed
    assert sig.modification_class is ModificationClass.SUSPICIOUS
    broken = [c for c in sig.changes if en in c.detail]
    assert broken, [c.detail for c in sig.changes]
    assert all(c.suspicious and vi in c.detail_vi for c in broken)
    assert any(en in r.en and vi in r.vi for r in sig.reasons), sig.reasons


def assert_untouched_by_locks(sig: SignatureReport) -> None:
    assert sig.passed, sig.reasons
    assert sig.modification_class is ModificationClass.HARMLESS
    assert not any(c.suspicious for c in sig.changes)
    assert not any("locked" in c.detail for c in sig.changes)


# The hub's Decree 30/2020 flow.


def test_signing_a_signature_field_the_personal_signature_locked_fails_it(
    personal: bytes, jobs: JobFactory, offline: VerifyOptions, test_signer: PKISigner
) -> None:
    later = sign_plain(
        personal, replace(jobs.plain("doc-lock"), field_name=EMPTY_FIELD)
    )

    report = verify_pdf(later, offline)

    assert report.verdict is Verdict.FAILED
    assert_lock_broken(signature(report, PERSONAL_FIELD), EMPTY_FIELD, "/Exclude")
    (added,) = [
        c
        for c in signature(report, PERSONAL_FIELD).changes
        if c.kind is ChangeKind.SIGNATURE_ADDED
    ]
    assert added.detail.startswith(f"signature {EMPTY_FIELD!r} added")
    assert signature(report, EMPTY_FIELD).passed
    assert not pyhanko_accepts(later, PERSONAL_FIELD, test_signer)


def test_a_signature_in_a_field_made_later_is_no_breach_of_the_lock(
    personal: bytes, jobs: JobFactory, offline: VerifyOptions, test_signer: PKISigner
) -> None:
    later = sign_plain(personal, replace(jobs.plain("doc-lock"), field_name="Extra"))

    sig = signature(verify_pdf(later, offline), PERSONAL_FIELD)

    # The lock names the fields the document had when it was signed; pyHanko
    # also counts a field made later under /Exclude (docs/known-issues.md).
    assert_untouched_by_locks(sig)
    assert any(c.detail == "signature 'Extra' added" for c in sig.changes)
    assert not pyhanko_accepts(later, PERSONAL_FIELD, test_signer)


@pytest.mark.parametrize("level", [Level.B_LT, Level.B_LTA], ids=str)
def test_numbering_and_seal_leave_the_lock_intact(
    personal: bytes,
    jobs: JobFactory,
    offline: VerifyOptions,
    test_signer: PKISigner,
    level: Level,
) -> None:
    sealed = number_and_seal(personal, replace(jobs.seal("doc-lock", 7), level=level))

    report = verify_pdf(sealed, offline)

    assert report.verdict is Verdict.PASSED
    sig = signature(report, PERSONAL_FIELD)
    assert_untouched_by_locks(sig)
    filled = {c.detail for c in sig.changes if c.kind is ChangeKind.FORM_FILLED}
    assert {f"form field {n!r} filled in" for n in (NUMBER_FIELD, DATE_FIELD)} <= filled
    signed = [c for c in sig.changes if c.kind is ChangeKind.SIGNATURE_ADDED]
    assert [c.detail.split(";")[0] for c in signed] == [
        f"signature {SEAL_FIELD!r} added"
    ]
    stamped = any(c.kind is ChangeKind.TIMESTAMP_ADDED for c in sig.changes)
    assert stamped is (level is Level.B_LTA)
    assert pyhanko_accepts(sealed, PERSONAL_FIELD, test_signer)


# Each FieldMDP action, signed with pyHanko.


@pytest.mark.parametrize(
    ("action", "listed", "signed", "locked"),
    [
        (FieldMDPAction.INCLUDE, [EMPTY_FIELD], EMPTY_FIELD, True),
        (FieldMDPAction.INCLUDE, [EMPTY_FIELD], OTHER_FIELD, False),
        (FieldMDPAction.EXCLUDE, [EMPTY_FIELD], EMPTY_FIELD, False),
        (FieldMDPAction.EXCLUDE, [EMPTY_FIELD], OTHER_FIELD, True),
        (FieldMDPAction.ALL, [], OTHER_FIELD, True),
    ],
    ids=[
        "include-listed",
        "include-other",
        "exclude-listed",
        "exclude-other",
        "all",
    ],
)
def test_a_later_signature_breaks_the_lock_exactly_where_it_applies(
    test_signer: PKISigner,
    offline: VerifyOptions,
    action: FieldMDPAction,
    listed: list[str],
    signed: str,
    locked: bool,
) -> None:
    pdf = locked_form(test_signer, action, *listed)

    later = test_signer.sign(pdf, "seal-b", field=signed)

    report = verify_pdf(later, offline)
    sig = signature(report, LOCKING_FIELD)
    if locked:
        assert_lock_broken(sig, signed, action.value)
    else:
        assert_untouched_by_locks(sig)
        assert report.verdict is Verdict.PASSED
    assert pyhanko_accepts(later, LOCKING_FIELD, test_signer) is not locked


def test_a_document_timestamp_passes_every_lock(
    test_signer: PKISigner, offline: VerifyOptions, dev_pki: PKILayout
) -> None:
    pdf = locked_form(test_signer, FieldMDPAction.ALL)

    stamped = add_document_timestamp(pdf, dev_pki, test_signer.tsa_url)

    sig = signature(verify_pdf(stamped, offline), LOCKING_FIELD)
    assert_untouched_by_locks(sig)
    assert any(c.kind is ChangeKind.TIMESTAMP_ADDED for c in sig.changes)
    assert pyhanko_accepts(stamped, LOCKING_FIELD, test_signer)


@pytest.mark.parametrize(
    ("action", "locked"),
    [(FieldMDPAction.INCLUDE, True), (FieldMDPAction.EXCLUDE, False)],
    ids=["include", "exclude"],
)
def test_a_text_field_filled_and_signed_over_breaks_only_its_lock(
    test_signer: PKISigner,
    offline: VerifyOptions,
    action: FieldMDPAction,
    locked: bool,
) -> None:
    listed = (TEXT_FIELD,) if locked else (TEXT_FIELD, OTHER_FIELD)
    pdf = locked_form(test_signer, action, *listed)

    filled = fill_text_field(pdf, "Đã duyệt")
    later = test_signer.sign(filled, "seal-b", field=OTHER_FIELD)

    sig = signature(verify_pdf(later, offline), LOCKING_FIELD)
    if locked:
        assert_lock_broken(sig, TEXT_FIELD, action.value)
    else:
        assert sig.passed, sig.reasons
        assert not any(c.suspicious for c in sig.changes)
    assert pyhanko_accepts(later, LOCKING_FIELD, test_signer) is not locked


# Reading the lock itself.


@pytest.mark.parametrize(
    ("lock", "name", "locked"),
    [
        (FieldLock("/All"), "any", True),
        (FieldLock("/Include", ("a",)), "a", True),
        (FieldLock("/Include", ("a",)), "a.b", True),
        (FieldLock("/Include", ("a",)), "ab", False),
        (FieldLock("/Exclude", ("a",)), "a.b", False),
        (FieldLock("/Exclude", ("a",)), "b", True),
        (FieldLock("/Exclude", ("a",)), "", True),
    ],
)
def test_a_listed_name_stands_for_the_fields_beneath_it(
    lock: FieldLock, name: str, locked: bool
) -> None:
    assert lock.locks(name) is locked


def _sig_dict(params: generic.DictionaryObject) -> generic.DictionaryObject:
    reference = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/SigRef"),
            pdf_name("/TransformMethod"): pdf_name("/FieldMDP"),
            pdf_name("/TransformParams"): params,
        }
    )
    return generic.DictionaryObject(
        {pdf_name("/Reference"): generic.ArrayObject([reference])}
    )


def test_locks_are_read_from_the_reference_and_the_field() -> None:
    params = generic.DictionaryObject(
        {
            pdf_name("/Action"): pdf_name("/Include"),
            pdf_name("/Fields"): generic.ArrayObject([pdf_string("a")]),
        }
    )
    lock = generic.DictionaryObject({pdf_name("/Action"): pdf_name("/All")})
    field = generic.DictionaryObject({pdf_name("/Lock"): lock})

    locks = read_locks(_sig_dict(params), field)

    assert locks == (FieldLock("/Include", ("a",)), FieldLock("/All"))


@pytest.mark.parametrize(
    "params",
    [
        {pdf_name("/Action"): pdf_name("/Everything")},
        {pdf_name("/Action"): pdf_name("/Exclude")},
        {
            pdf_name("/Action"): pdf_name("/Include"),
            pdf_name("/Fields"): generic.ArrayObject([generic.NumberObject(1)]),
        },
    ],
    ids=["unknown-action", "no-fields", "name-not-text"],
)
def test_a_lock_that_cannot_be_read_locks_everything(
    params: dict[generic.NameObject, generic.PdfObject],
) -> None:
    sig_dict = _sig_dict(generic.DictionaryObject(params))

    locks = read_locks(sig_dict, generic.DictionaryObject())

    assert locks == (FieldLock("/All"),)
