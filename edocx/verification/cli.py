"""``edocx verify FILE.pdf``: verify a signed PDF offline and say so by exit code.

Exit codes: 0 every signature passes; 1 a signature fails (or the file was
changed after signing); 2 a signature is indeterminate and none fails;
3 the file is unusable: unreadable, not a PDF, encrypted without its
password, or carrying no signature at all ("nothing to verify" is stated in
the output). The check is offline: revocation evidence comes from the
document only (PAdES B-LT), never from the network.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from edocx.config import Settings
from edocx.errors import ConfigurationError
from edocx.verification.render import render_text
from edocx.verification.report import ValidationReport, Verdict
from edocx.verification.trust import REVOCATION_MODES
from edocx.verification.verify import VerifyOptions, verify_pdf

logger = logging.getLogger(__name__)

EXIT_CODES = {
    Verdict.PASSED: 0,
    Verdict.FAILED: 1,
    Verdict.INDETERMINATE: 2,
    Verdict.UNUSABLE: 3,
}


def run_verify_cli(
    path: Path,
    settings: Settings,
    *,
    json_output: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Verify ``path``, print the report, return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr

    # 1. The file.
    try:
        data = path.read_bytes()
    except OSError as e:
        print(f"edocx verify: cannot read {path}: {e.strerror or e}", file=err)
        return EXIT_CODES[Verdict.UNUSABLE]

    # 2. The anchors: without any, nothing can pass, but the file can still
    # be examined for integrity.
    anchors = _anchor_paths(settings, err)
    options = VerifyOptions(
        trust_root_paths=anchors,
        allow_fetching=False,
        revocation_mode=_revocation_mode(settings, err),
    )

    # 3. Verify and report.
    try:
        report = verify_pdf(data, options)
    except ConfigurationError as e:
        print(f"edocx verify: {e.detail}", file=err)
        return EXIT_CODES[Verdict.UNUSABLE]
    _print(report, json_output, out)
    return EXIT_CODES[report.verdict]


def _anchor_paths(settings: Settings, err: TextIO) -> tuple[Path, ...]:
    try:
        from edocx.pki.trust import trust_root_paths

        paths = tuple(trust_root_paths(settings))
    except ConfigurationError as e:
        print(f"edocx verify: warning: {e.detail}; no signature can pass", file=err)
        return ()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(
            "edocx verify: warning: trust anchor(s) not found: "
            + ", ".join(str(p) for p in missing),
            file=err,
        )
    return tuple(p for p in paths if p.is_file())


def _revocation_mode(settings: Settings, err: TextIO) -> str:
    mode = settings.trust.revocation_mode
    if mode in REVOCATION_MODES:
        return mode
    print(
        f"edocx verify: warning: revocation mode {mode!r} is not supported; "
        "using hard-fail",
        file=err,
    )
    return "hard-fail"


def _print(report: ValidationReport, json_output: bool, out: TextIO) -> None:
    if json_output:
        out.write(report.model_dump_json(indent=2) + "\n")
    else:
        out.write(render_text(report))
