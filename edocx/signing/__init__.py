"""PAdES signing of official documents: prepare, sign, number and seal.

Every function here is synchronous and CPU-bound; the hub runs them in
worker processes with picklable inputs and outputs.
"""

from edocx.signing.drafts import prepare_draft
from edocx.signing.issue import (
    number_and_seal,
    number_and_seal_outcome,
    sign_personal,
    sign_personal_outcome,
    sign_plain,
    sign_plain_outcome,
)
from edocx.signing.jobs import (
    PersonalSignJob,
    PlainSignJob,
    PreparedDraft,
    SealJob,
    SignJob,
)
from edocx.signing.levels import Level, SignOutcome

__all__ = [
    "Level",
    "PersonalSignJob",
    "PlainSignJob",
    "PreparedDraft",
    "SealJob",
    "SignJob",
    "SignOutcome",
    "number_and_seal",
    "number_and_seal_outcome",
    "prepare_draft",
    "sign_personal",
    "sign_personal_outcome",
    "sign_plain",
    "sign_plain_outcome",
]
