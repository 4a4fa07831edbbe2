"""The PAdES baseline levels edocx signs at (ETSI EN 319 142-1 §6).

Each level adds to the one below it:

- B-B: the signature alone, with the signing certificate and signed
  attributes;
- B-T: a signature timestamp from an RFC 3161 TSA proves when it existed;
- B-LT: the document security store (DSS) carries the certificates and the
  revocation data (OCSP, CRL) of the signer's and the TSA's paths, so that
  the signature verifies offline after the certificates expire;
- B-LTA: a document timestamp over the whole file, after the DSS, protects
  that validation data and can be renewed before its TSA's key weakens.

Which level a document gets is configuration (``signing.level`` and the
overrides beside it); ``level_for`` applies the precedence. A signature is
made at the level asked for, except when no TSA answers and the
configuration allows a downgrade to B-B: the outcome says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """A PAdES baseline level, named as ETSI EN 319 142-1 names it."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def timestamped(self) -> bool:
        """Whether the signature carries a signature timestamp."""
        return self is not Level.B_B

    @property
    def long_term(self) -> bool:
        """Whether the DSS carries the validation data (B-LT and above)."""
        return self in (Level.B_LT, Level.B_LTA)

    @property
    def archival(self) -> bool:
        """Whether a document timestamp follows the DSS."""
        return self is Level.B_LTA


DEFAULT_LEVEL = Level.B_T


@dataclass(frozen=True)
class SignOutcome:
    """A signed file and the level it was made at.

    ``requested`` is the level asked for; ``level`` the level made, lower
    only when ``downgraded`` (no TSA answered and the configuration allows
    B-B). ``warnings`` are sentences for the person who asked to sign.
    """

    pdf: bytes
    level: Level
    requested: Level
    warnings: tuple[str, ...] = ()

    @property
    def downgraded(self) -> bool:
        """Whether the signature was made below the level asked for."""
        return self.level is not self.requested

    def __repr__(self) -> str:
        # Never print document bytes in logs or tracebacks.
        return (
            f"SignOutcome(<{len(self.pdf)} bytes>, level={self.level.value},"
            f" requested={self.requested.value}, warnings={self.warnings!r})"
        )


@dataclass(frozen=True)
class LevelRules:
    """The configured levels: a default and its overrides.

    ``by_type`` maps a document type's name to a level for every agency;
    ``by_agency`` maps an agency's organ id to its own default; and
    ``by_agency_type`` maps an organ id to its levels per document type.
    Document type names are compared in NFC, without regard to case.
    """

    default: Level = DEFAULT_LEVEL
    by_type: Mapping[str, Level] | None = None
    by_agency: Mapping[str, Level] | None = None
    by_agency_type: Mapping[str, Mapping[str, Level]] | None = None

    def named(self) -> set[Level]:
        """Return every level the rules name."""
        found = {self.default}
        found |= set((self.by_type or {}).values())
        found |= set((self.by_agency or {}).values())
        for levels in (self.by_agency_type or {}).values():
            found |= set(levels.values())
        return found


def level_for(rules: LevelRules, *, agency_code: str, document_type: str) -> Level:
    """Return the level of a document of ``document_type`` from ``agency_code``.

    The most specific rule wins: the agency's level for the type, then the
    level for the type everywhere, then the agency's default, then the
    default. A type's level comes before an agency's default because it
    follows from how long documents of that type must stay verifiable.
    """
    kind = type_key(document_type)
    own_types = _keyed((rules.by_agency_type or {}).get(agency_code))
    candidates = (
        own_types.get(kind),
        _keyed(rules.by_type).get(kind),
        (rules.by_agency or {}).get(agency_code),
    )
    return next((level for level in candidates if level is not None), rules.default)


def type_key(name: str) -> str:
    """Return the form a document type's name is compared in."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _keyed(levels: Mapping[str, Level] | None) -> dict[str, Level]:
    return {type_key(name): level for name, level in (levels or {}).items()}
