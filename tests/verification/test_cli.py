"""``edocx verify FILE``: the verdict as an exit code, on real files.

0 every signature passes, 1 one fails or the file carries no signature,
2 one is indeterminate (none fails), 3 the input is unusable. Every run
verifies in a real worker process, as the command does.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from edocx.config import Settings, TrustSettings, VerificationSettings
from edocx.verification.cli import Format, TrustChoice, run_verify_cli
from tests.conftest import REPO_ROOT
from tests.verification.pdfs import append_page_content, blank_pdf

Write = Callable[[str, bytes], Path]


def run(
    path: Path,
    settings: Settings,
    *,
    output: Format = "text",
    trust: TrustChoice | None = None,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_verify_cli(path, settings, trust=trust, output=output, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def foreign_trust(test_settings: Settings, foreign_root: Path) -> Settings:
    """Settings of a verifier that trusts another root than the test PKI's."""
    return test_settings.model_copy(
        update={"demo": False, "trust": TrustSettings(anchors=[foreign_root])}
    )


def test_exit_0_when_every_signature_passes(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    code, out, _ = run(write("good.pdf", signed_blt), test_settings)

    assert code == 0
    assert "Verdict:    PASSED" in out
    assert "TOTAL-PASSED" in out
    assert "+07:00" in out


def test_exit_1_when_the_document_changed_after_signing(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    path = write("changed.pdf", append_page_content(signed_blt))

    code, out, _ = run(path, test_settings)

    assert code == 1
    assert "TOTAL-FAILED / FORMAT_FAILURE" in out


def test_exit_1_when_there_is_nothing_to_verify(
    test_settings: Settings, write: Write
) -> None:
    code, out, err = run(write("unsigned.pdf", blank_pdf()), test_settings)

    assert code == 1
    assert "nothing to verify" in out
    assert "carries no signature" in err


def test_exit_2_when_revocation_cannot_be_established_offline(
    signed_bt: bytes, test_settings: Settings, write: Write
) -> None:
    code, out, _ = run(write("no-revocation-data.pdf", signed_bt), test_settings)

    assert code == 2
    assert "INDETERMINATE / TRY_LATER" in out


def test_exit_3_when_the_file_is_not_a_pdf(
    test_settings: Settings, write: Write
) -> None:
    code, out, _ = run(write("letter.pdf", b"Dear colleagues, ..."), test_settings)

    assert code == 3
    assert "not-a-pdf" in out


def test_exit_3_when_the_file_cannot_be_read(
    test_settings: Settings, tmp_path: Path
) -> None:
    code, _, err = run(tmp_path / "missing.pdf", test_settings)

    assert code == 3
    assert "cannot read" in err


def test_exit_3_when_verification_exceeds_the_time_bound(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    hurried = test_settings.model_copy(
        update={"verification": VerificationSettings(timeout_s=0.001)}
    )

    code, out, err = run(write("good.pdf", signed_blt), hurried)

    assert code == 3
    assert out == ""
    assert "not verified within 0.001 s" in err


def test_trust_adds_an_anchor_that_makes_the_signature_pass(
    signed_blt: bytes, foreign_trust: Settings, dev_pki_root: Path, write: Write
) -> None:
    path = write("good.pdf", signed_blt)

    without, out, _ = run(path, foreign_trust)
    added, _, _ = run(path, foreign_trust, trust=TrustChoice((dev_pki_root,)))

    assert (without, added) == (2, 0)
    assert "NO_CERTIFICATE_CHAIN_FOUND" in out


def test_trust_only_replaces_the_configured_anchors(
    signed_blt: bytes, test_settings: Settings, foreign_root: Path, write: Write
) -> None:
    path = write("good.pdf", signed_blt)
    elsewhere = TrustChoice((foreign_root,), replace=True)

    code, output, _ = run(path, test_settings, trust=elsewhere, output="json")

    assert code == 2
    (anchor,) = json.loads(output)["policy"]["trust_anchors"]
    assert "Foreign Root CA" in anchor


def test_trust_serves_a_verifier_with_no_anchors_configured(
    signed_blt: bytes, test_settings: Settings, dev_pki_root: Path, write: Write
) -> None:
    bare = test_settings.model_copy(update={"demo": False})
    path = write("good.pdf", signed_blt)

    without, _, warned = run(path, bare)
    added, _, quiet = run(path, bare, trust=TrustChoice((dev_pki_root,)))

    assert (without, added) == (2, 0)
    assert "no trust anchors configured" in warned
    assert quiet == ""


def test_trust_file_may_hold_several_certificates(
    signed_blt: bytes,
    foreign_trust: Settings,
    foreign_root: Path,
    dev_pki_root: Path,
    write: Write,
) -> None:
    both = write("both.pem", foreign_root.read_bytes() + dev_pki_root.read_bytes())

    code, output, _ = run(
        write("good.pdf", signed_blt),
        foreign_trust,
        trust=TrustChoice((both,), replace=True),
        output="json",
    )

    assert code == 0
    assert len(json.loads(output)["policy"]["trust_anchors"]) == 2


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("absent.pem", None, "cannot read it"),
        ("notes.pem", b"these are not certificates\n", "no PEM or DER certificate"),
        ("broken.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n", "no PEM or DER"),
    ],
)
def test_exit_3_naming_an_unusable_trust_file(
    signed_blt: bytes,
    test_settings: Settings,
    write: Write,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    why: str,
) -> None:
    anchor = tmp_path / name if content is None else write(name, content)

    code, out, err = run(
        write("good.pdf", signed_blt), test_settings, trust=TrustChoice((anchor,))
    )

    assert code == 3
    assert out == ""
    assert str(anchor) in err and why in err


def test_json_output_is_the_report(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    code, output, _ = run(write("good.pdf", signed_blt), test_settings, output="json")

    report = json.loads(output)
    assert code == 0
    assert report["verdict"] == "PASSED"
    (signature,) = report["signatures"]
    assert signature["indication"] == "TOTAL-PASSED"
    assert report["policy"]["allow_fetching"] is False


def test_html_output_is_a_page(
    signed_blt: bytes, test_settings: Settings, write: Write
) -> None:
    code, output, _ = run(write("good.pdf", signed_blt), test_settings, output="html")

    assert code == 0
    assert output.lstrip().lower().startswith("<!doctype html>")
    assert "TOTAL-PASSED" in output
    assert output.rstrip().endswith("</html>")


def _config_file(settings: Settings, tmp_path: Path) -> Path:
    """A configuration file for ``settings``, for the command in a process."""
    path = tmp_path / "edocx.toml"
    path.write_text(
        f'demo = true\n[storage]\nvar_dir = "{settings.storage.var_dir}"\n'
        f'[pki]\ndir = "{settings.pki.dir}"\n'
        f'[keys]\npassphrase_file = "{settings.keys.passphrase_file}"\n',
        encoding="utf-8",
    )
    return path


def _command(args: list[str], config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOCX_")}
    env["EDOCX_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "edocx.cli", "verify", *args],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
        check=False,
    )  # fmt: skip


def test_the_command_prints_json_with_the_old_flag_too(
    signed_blt: bytes, test_settings: Settings, write: Write, tmp_path: Path
) -> None:
    config = _config_file(test_settings, tmp_path)
    path = str(write("good.pdf", signed_blt))

    done = _command([path, "--json"], config)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "PASSED"


@pytest.mark.parametrize("args", [["--format", "pdf"], ["--trust-only"], []], ids=str)
def test_a_usage_error_is_unusable_input(
    args: list[str], test_settings: Settings, write: Write, tmp_path: Path
) -> None:
    config = _config_file(test_settings, tmp_path)
    files = [] if not args else [str(write("good.pdf", b"%PDF-"))]

    done = _command([*files, *args], config)

    assert done.returncode == 3, done.stderr
    assert "usage" in done.stderr or "--trust-only" in done.stderr
