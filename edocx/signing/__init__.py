"""PAdES signing of official documents: prepare, sign, number and seal.

Every function here is synchronous and CPU-bound; the hub runs them in
worker processes with picklable inputs and outputs.
"""

from edocx.signing.drafts import prepare_draft
from edocx.signing.issue import number_and_seal, sign_personal, sign_plain
from edocx.signing.jobs import (
    PersonalSignJob,
    PlainSignJob,
    PreparedDraft,
    SealJob,
    SignJob,
)

__all__ = [
    "PersonalSignJob",
    "PlainSignJob",
    "PreparedDraft",
    "SealJob",
    "SignJob",
    "number_and_seal",
    "prepare_draft",
    "sign_personal",
    "sign_plain",
]
