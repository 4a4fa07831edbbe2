"""``edocx verify FILE``: verify a signed PDF offline and say so by exit code.

Exit codes: 0 every signature passes; 1 a signature fails, or the file,
though readable, carries no signature ("nothing to verify" is stated in the
output); 2 a signature is indeterminate and none fails; 3 the input is not
usable: unreadable, not a PDF, encrypted without its password, too slow to
verify within ``verification.timeout_s``, or a ``--trust`` file that holds
no certificate.

The check is offline: revocation evidence comes from the document only
(PAdES B-LT), never from the network. The file is verified in a worker
process with the configured time and memory bounds, so that a hostile PDF
ends with exit code 3 instead of a hung terminal.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from cryptography import x509

from edocx.config import Settings, WorkerSettings
from edocx.errors import ConfigurationError, EdocxError, WorkerTimeoutError
from edocx.logsetup import quiet_library_loggers
from edocx.verification.render import render_html, render_text
from edocx.verification.report import ValidationReport, Verdict
from edocx.verification.trust import REVOCATION_MODES
from edocx.verification.verify import VerifyOptions, verify_pdf
from edocx.workers.pool import WorkerPool

logger = logging.getLogger(__name__)

Format = Literal["text", "json", "html"]
FORMATS: tuple[Format, ...] = ("text", "json", "html")

EXIT_PASSED, EXIT_FAILED, EXIT_INDETERMINATE, EXIT_UNUSABLE = 0, 1, 2, 3
EXIT_CODES = {
    Verdict.PASSED: EXIT_PASSED,
    Verdict.FAILED: EXIT_FAILED,
    Verdict.INDETERMINATE: EXIT_INDETERMINATE,
    Verdict.UNUSABLE: EXIT_UNUSABLE,
}


@dataclass(frozen=True)
class TrustChoice:
    """The anchor files of the command line: added, or replacing the config's."""

    files: tuple[Path, ...] = ()
    replace: bool = False


def run_verify_cli(
    path: Path,
    settings: Settings,
    *,
    trust: TrustChoice | None = None,
    output: Format = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Verify ``path``, print the report, return the exit code.

    Steps: 1. read the file; 2. gather the trust anchors; 3. verify in a
    bounded worker process; 4. print the report in ``output`` format.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    trust = trust or TrustChoice()

    # 1. The file.
    try:
        data = path.read_bytes()
    except OSError as e:
        print(f"edocx verify: cannot read {path}: {e.strerror or e}", file=err)
        return EXIT_UNUSABLE

    # 2. The anchors: a bad file named on the command line stops here; a bad
    # configured one only warns (the file can still be examined).
    unusable = [f"{p}: {why}" for p in trust.files if (why := anchor_problem(p))]
    if unusable:
        print("edocx verify: unusable --trust file " + "; ".join(unusable), file=err)
        return EXIT_UNUSABLE
    anchors = _anchors(settings, trust, err)
    options = VerifyOptions(
        trust_root_paths=anchors,
        allow_fetching=False,
        revocation_mode=_revocation_mode(settings, err),
    )

    # 3. Verify, bounded.
    try:
        report = asyncio.run(verify_bounded(data, options, settings))
    except WorkerTimeoutError:
        bound = settings.verification.timeout_s
        print(
            f"edocx verify: {path}: not verified within {bound:g} s "
            "(verification.timeout_s); the file is too large or too complex",
            file=err,
        )
        return EXIT_UNUSABLE
    except EdocxError as e:
        print(f"edocx verify: {path}: {e.detail}", file=err)
        return EXIT_UNUSABLE

    # 4. Report.
    out.write(render(report, output))
    code = exit_code(report)
    if code == EXIT_FAILED and report.verdict is Verdict.UNUSABLE:
        print(f"edocx verify: {path} carries no signature", file=err)
    return code


def exit_code(report: ValidationReport) -> int:
    """Return the exit code for ``report``: a readable unsigned file fails."""
    if report.verdict is Verdict.UNUSABLE and _readable_unsigned(report):
        return EXIT_FAILED
    return EXIT_CODES[report.verdict]


def _readable_unsigned(report: ValidationReport) -> bool:
    return report.revision_count is not None and report.has_problem("no-signature")


def render(report: ValidationReport, output: Format) -> str:
    """Return ``report`` as text, JSON or an HTML page."""
    if output == "json":
        return report.model_dump_json(indent=2) + "\n"
    if output == "html":
        return render_html(report)
    return render_text(report)


async def verify_bounded(
    pdf: bytes, options: VerifyOptions, settings: Settings
) -> ValidationReport:
    """Verify ``pdf`` in one worker process within ``verification.timeout_s``.

    Raise :class:`~edocx.errors.WorkerTimeoutError` when the bound is
    exceeded and :class:`~edocx.errors.WorkerError` when the worker dies.
    """
    bounds = WorkerSettings(
        processes=1,
        task_timeout_s=settings.workers.task_timeout_s,
        memory_limit_mb=settings.workers.memory_limit_mb,
    )
    pool = WorkerPool(bounds)
    await pool.start()
    try:
        # The worker imports the verifier first, under the pool's own bound:
        # the time bound is for the file, not for starting Python.
        await pool.run(_ready, settings.log_level)
        return await pool.run(
            verify_pdf, pdf, options, timeout_s=settings.verification.timeout_s
        )
    finally:
        await pool.close()


def _ready(log_level: str) -> bool:
    """Import the verifier in a worker (by unpickling this); quiet pyHanko."""
    quiet_library_loggers(log_level)
    return True


def anchor_problem(path: Path) -> str | None:
    """Return why ``path`` cannot serve as trust anchors, or None if it can.

    The file must hold at least one certificate, PEM (several allowed) or
    DER, parsed strictly here: the verifier's parser reads lazily and would
    only stumble on a bad anchor in the middle of the verification.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        return f"cannot read it ({e.strerror or e})"
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        return "it holds no PEM or DER certificate"
    return None


def _anchors(settings: Settings, trust: TrustChoice, err: TextIO) -> tuple[Path, ...]:
    if trust.replace:
        return trust.files
    configured = _configured_anchors(settings, err, quiet=bool(trust.files))
    return (*configured, *(p for p in trust.files if p not in configured))


def _configured_anchors(
    settings: Settings, err: TextIO, *, quiet: bool
) -> tuple[Path, ...]:
    try:
        from edocx.pki.trust import trust_root_paths

        paths = tuple(trust_root_paths(settings))
    except ConfigurationError as e:
        # With anchors on the command line, none in the config is no news.
        if not quiet:
            print(f"edocx verify: warning: {e.detail}; no signature can pass", file=err)
        return ()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(
            "edocx verify: warning: configured trust anchor(s) not found: "
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
