"""Memory under load: what one verification parsed goes when it ends.

The hub's workers verify file after file for as long as they live; an
object kept from each file grows them until the memory limit stops them.
This checks the cause the load bench found: memos of a file's revisions
kept beside its reader, in a WeakKeyDictionary whose values (PDF objects
that name the reader) held the reader itself, so that no verified file
with later revisions was ever freed.
"""

from __future__ import annotations

import gc
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

import edocx.exchange.compute  # noqa: F401  (the verifier's import order)
from edocx.verification.verify import VerifyOptions, verify_pdf

# Signed, then changed in later revisions: the verifier reviews each change.
LATER_REVISIONS = "AD-RB.pdf"


def _readers() -> int:
    gc.collect()
    return sum(isinstance(o, PdfFileReader) for o in gc.get_objects())


def test_verified_files_are_freed(test_data_dir: Path) -> None:
    pdf = (test_data_dir / "dss-pdf" / LATER_REVISIONS).read_bytes()
    options = VerifyOptions(trust_root_paths=(), allow_fetching=False)
    before = _readers()

    for _ in range(2):
        report = verify_pdf(pdf, options)
        assert report.signatures

    assert _readers() == before
