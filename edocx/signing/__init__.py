"""PAdES signing of official documents: prepare, sign, number and seal.

Every function here is synchronous and CPU-bound; the hub runs them in
worker processes with picklable inputs and outputs.

The names below load with their module on first use (PEP 562): the
verifier reads small modules of this package (the placeholders the hub's
fields show) while it loads, and the signing modules read the verifier, so
an eager import here would make the two packages import each other half
loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "prepare_draft": "drafts",
    "number_and_seal": "issue",
    "number_and_seal_outcome": "issue",
    "sign_personal": "issue",
    "sign_personal_outcome": "issue",
    "sign_plain": "issue",
    "sign_plain_outcome": "issue",
    "PersonalSignJob": "jobs",
    "PlainSignJob": "jobs",
    "PreparedDraft": "jobs",
    "SealJob": "jobs",
    "SignJob": "jobs",
    "Level": "levels",
    "SignOutcome": "levels",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
