"""The answer of an offline check of a copy or an e-duplicate, printed.

Both checks answer alike: what the payload claims, who signed it, the
problems found (or that the file is as issued) and the address of the
online check, the only one that knows of a revocation since. They take
the body's certificate the same way and end with the same exit statuses.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edocx.copies import binding, evidence, qr
from edocx.pki.trust import load_certs

EXIT_AS_ISSUED = 0
EXIT_NOT_AS_ISSUED = 1
EXIT_UNREADABLE = 3


def certificate_option(check: argparse.ArgumentParser, whose: str) -> None:
    """Add ``--certificate``: the seal certificate of the ``whose`` body."""
    check.add_argument(
        "--certificate", type=Path, metavar="PEM",
        help=f"the {whose} body's seal certificate (PEM or DER)",
    )  # fmt: skip


def given_certificates(
    given: Path | None, pdf: bytes
) -> tuple[tuple[Path, ...], tuple[bytes, ...]]:
    """Return the ``--certificate`` given (as anchors) and the DER to check with.

    Without one, the certificate that signed the file's last signature is
    used (the answer then says so). Raises :class:`EdocxError` when the
    file given is not a certificate.
    """
    paths: tuple[Path, ...] = (given,) if given else ()
    if not paths:
        return paths, evidence.last_signer_certificate(pdf)
    return paths, tuple(bytes(c.dump()) for c in load_certs(paths))


class Claim(Protocol):
    """What a QR payload states, for a copy or for an e-duplicate."""

    @property
    def code(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def book(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def document_name(self) -> str: ...


@dataclass(frozen=True)
class Wording:
    noun: str  # "copy", "e-duplicate"
    verb: str  # "certified", "issued"


COPY = Wording("copy", "certified")
DUPLICATE = Wording("e-duplicate", "issued")


@dataclass(frozen=True)
class Answer:
    claim: Claim | None
    signer: bytes | None  # DER of the certificate that signed the payload
    problems: Sequence[str]
    qr_text: str | None


def print_answer(answer: Answer, words: Wording, *, from_file: bool) -> None:
    """Print the answer on standard output, in the words of ``words``."""
    claim = answer.claim
    if claim is not None:
        print(f"{words.noun.capitalize()} {claim.code}: number {claim.number}"
              f" of {claim.book},")  # fmt: skip
        print(f"  {words.verb} on {claim.date} by {claim.body}: {claim.document_name}")
    _print_signer(answer.signer, words, from_file=from_file)

    if answer.problems:
        print("NOT AS ISSUED:")
        for problem in answer.problems:
            print(f"  - {problem}")
    else:
        print(f"AS ISSUED: the {words.noun} is the one the body {words.verb},"
              " unmodified.")  # fmt: skip

    if answer.qr_text:
        address = qr.parse_qr_text(answer.qr_text).address
        print("Whether it was revoked since can only be checked online:")
        print(f"  {address}")


def _print_signer(signer: bytes | None, words: Wording, *, from_file: bool) -> None:
    if signer is not None:
        print(f"Payload signed by: {binding.signer_subject(signer)}")
    else:
        print("Payload signed by: no given certificate verifies it")
    if from_file:
        print("note: checked with the certificate inside the file; give the body's")
        print(f"  certificate with --certificate to know who {words.verb} it")
