"""The check of a freshly signed file before the command line writes it.

The hub verifies what it signed before it keeps it (``exchange.compute``,
``check_own``, and the rules of ``exchange.verdicts``); ``edocx sign`` does
the same, so that it never leaves a file that fails verification:

1. the file is verified offline against the job's anchors; below B-LT, on a
   copy given the validation data of the signature just made, fetched from
   the addresses of its own certificates, never from an earlier signature's
   (an encrypted file, which then holds no earlier signature, is verified
   fetching from its one signature's certificates instead);
2. a personal or plain signature must pass, last, and no earlier signature
   may fail (``signing_refusal``); a seal must pass together with the
   personal signature before it (``issue_refusal``), as at issue. A
   signature made at B-B passes when only its missing timestamp holds it
   back.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from edocx.exchange.verdicts import issue_refusal, signing_refusal
from edocx.signing.augment import AugmentSetup, add_own_validation_data
from edocx.signing.jobs import SealJob, SignJob
from edocx.signing.levels import Level, SignOutcome
from edocx.signing.reading import read_strict
from edocx.verification import ValidationReport, VerifyOptions, verify_pdf

logger = logging.getLogger(__name__)


def refusal_of(
    outcome: SignOutcome, job: SignJob, password: str | None = None
) -> str | None:
    """Return why ``outcome`` must not be written, or None when it may."""
    # 1. Verify as the hub verifies its own output.
    report = own_report(outcome, job, password)

    # 2. The hub's rules for a signed draft, or for an issued document.
    untimed_ok = outcome.level is Level.B_B
    if isinstance(job, SealJob):
        refusal = issue_refusal(report, untimed_ok=untimed_ok)
    else:
        refusal = signing_refusal(report, untimed_ok=untimed_ok)
    if refusal is not None:
        logger.warning(
            "document %s of %s fails its check after signing: %s",
            job.document_id,
            job.agency_code,
            refusal,
        )
    return refusal


def own_report(
    outcome: SignOutcome, job: SignJob, password: str | None = None
) -> ValidationReport:
    """Verify ``outcome`` offline, given its last signature's data if needed."""
    options = VerifyOptions(
        trust_root_paths=job.trust_root_paths,
        allow_fetching=False,
        password=password,
    )
    if outcome.level.long_term:
        return verify_pdf(outcome.pdf, options)
    if read_strict(outcome.pdf).encrypted:
        # No copy can be given the data in a revision of its own; the file
        # holds no other signature (see ``asis``), so the verifier may fetch
        # from the new signature's certificates only.
        return verify_pdf(outcome.pdf, replace(options, allow_fetching=True))
    setup = AugmentSetup(job.trust_root_paths, job.extra_cert_paths)
    own = 2 if isinstance(job, SealJob) else 1
    return verify_pdf(add_own_validation_data(outcome.pdf, own, setup), options)
