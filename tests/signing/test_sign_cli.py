"""``edocx sign`` and ``edocx augment`` end to end, in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.cli import main
from edocx.config import Settings
from edocx.signing.fields import NUMBER_FIELD
from edocx.verification import (
    Indication,
    ValidationReport,
    VerifyOptions,
    render_text,
    verify_pdf,
)
from edocx.verification.level import short_level
from tests.conftest import free_port
from tests.pki.devtoken import DevToken
from tests.signing import pdfcheck
from tests.signing.conftest import JobFactory


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, test_settings: Settings, passphrase: bytes
) -> None:
    # The configured PKI is the test run's; the passphrase comes from the
    # environment, as the command line never takes it.
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", str(test_settings.storage.var_dir))
    monkeypatch.setenv("EDOCX_KEY_PASSPHRASE", passphrase.decode())
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)


def key_args(jobs: JobFactory, label: str = "person-a-signer") -> list[str]:
    return [
        "--p12", str(jobs.pki.p12_path(label)),
        "--trust", str(jobs.pki.root_cert_path),
        "--tsa", jobs.tsa_url,
    ]  # fmt: skip


def offline(pdf: bytes, jobs: JobFactory) -> ValidationReport:
    options = VerifyOptions(
        trust_root_paths=(jobs.pki.root_cert_path,), allow_fetching=False
    )
    return verify_pdf(pdf, options)


@pytest.mark.usefixtures("cli_env")
def test_sign_makes_the_personal_signature_the_hub_makes(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "signed.pdf"

    source = str(unsigned_dir / "sample.pdf")
    status = main(["sign", source, str(out), "--level", "B-LT", *key_args(jobs)])

    assert status == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == f"{out}: B-LT"
    report = offline(out.read_bytes(), jobs)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, render_text(report)
    assert short_level(signature.level) == "B-LT"
    assert signature.field == "edocx_personal"
    # The stamp's name comes from the certificate when no option gives it.
    assert signature.signer_cn == "Nguyễn Văn Thành"


@pytest.mark.usefixtures("cli_env")
def test_sign_into_a_named_empty_field(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "field.pdf"

    status = main(
        ["sign", str(unsigned_dir / "pdf-two-fields.pdf"), str(out), "--role",
         "plain", "--field", "signature-test2", "--level", "B-T",
         *key_args(jobs, "seal-b")]
    )  # fmt: skip

    assert status == 0
    reader = pdfcheck.read(out.read_bytes())
    (sig,) = reader.embedded_regular_signatures
    assert sig.field_name == "signature-test2"
    assert short_level(offline(out.read_bytes(), jobs).signatures[0].level) == "B-T"


@pytest.mark.usefixtures("cli_env")
def test_an_encrypted_pdf_needs_its_password_from_the_environment(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = str(unsigned_dir / "protected_open_protected.pdf")
    out = tmp_path / "decrypted.pdf"

    refused = main(["sign", source, str(out), *key_args(jobs)])
    said = capsys.readouterr().err
    monkeypatch.setenv("PDF_PASSWORD", " ")
    signed = main(["sign", source, str(out), "--password-env", "PDF_PASSWORD",
                   "--level", "B-LT", *key_args(jobs)])  # fmt: skip

    assert refused == 3 and "password" in said
    assert signed == 0
    assert offline(out.read_bytes(), jobs).signatures[0].indication is (
        Indication.TOTAL_PASSED
    )


@pytest.mark.usefixtures("cli_env")
def test_a_batch_prints_its_progress_and_signs_every_file(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    batch = tmp_path / "in"
    batch.mkdir()
    for name in ("sample.pdf", "pdf-2.0.pdf", "pdf-xref-streams.pdf"):
        (batch / name).write_bytes((unsigned_dir / name).read_bytes())
    (batch / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a PDF at all\n")

    status = main(["sign", "--batch", str(batch), "--out", str(tmp_path / "out"),
                   *key_args(jobs)])  # fmt: skip

    err = capsys.readouterr().err
    assert status == 3  # the worst: one file is not a usable PDF
    progress = [line for line in err.splitlines() if "docs/s" in line]
    assert [line.split()[0] for line in progress] == ["1/4", "2/4", "3/4", "4/4"]
    assert "broken.pdf" in err
    signed = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert signed == ["pdf-2.0.pdf", "pdf-xref-streams.pdf", "sample.pdf"]


@pytest.mark.usefixtures("cli_env")
def test_sign_errors_have_their_exit_status(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, out = str(unsigned_dir / "sample.pdf"), str(tmp_path / "x.pdf")
    dead = f"http://127.0.0.1:{free_port()}/tsa"
    p12 = ["--p12", str(jobs.pki.p12_path("person-a-signer"))]
    trust = ["--trust", str(jobs.pki.root_cert_path)]

    no_tsa = main(["sign", source, out, *p12, *trust, "--tsa", dead])
    no_tsa_said = capsys.readouterr().err
    two_keys = main(["sign", source, out, *p12, "--pkcs11-module", "/x.so"])
    monkeypatch.delenv("EDOCX_KEY_PASSPHRASE")
    no_passphrase = main(["sign", source, out, *p12, *trust, "--tsa", dead])
    no_passphrase_said = capsys.readouterr().err

    assert no_tsa == 1 and dead in no_tsa_said
    assert two_keys == 2
    assert no_passphrase == 4 and "EDOCX_KEY_PASSPHRASE" in no_passphrase_said
    assert not Path(out).exists()


@pytest.mark.usefixtures("cli_env")
def test_augment_raises_a_signed_file_to_b_lta(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path
) -> None:
    signed, raised = tmp_path / "bt.pdf", tmp_path / "lta.pdf"
    assert main(["sign", str(unsigned_dir / "sample.pdf"), str(signed),
                 *key_args(jobs)]) == 0  # fmt: skip

    trust = ["--trust", str(jobs.pki.root_cert_path), "--tsa", jobs.tsa_url]
    status = main(["augment", str(signed), str(raised), "--level", "B-LTA", *trust])

    assert status == 0
    before, after = signed.read_bytes(), raised.read_bytes()
    assert after[: len(before)] == before
    report = offline(after, jobs)
    assert short_level(report.signatures[0].level) == "B-LTA"
    assert report.doc_timestamp_count == 1


@pytest.mark.usefixtures("cli_env")
def test_a_plain_signature_shows_free_stamp_text(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "stamped.pdf"
    text = "Ký bởi Văn phòng Ủy ban nhân dân tỉnh Thừa Thiên Huế"

    source, stamp = str(unsigned_dir / "sample.pdf"), ["--stamp-text", text]
    status = main(
        ["sign", source, str(out), "--role", "plain", *stamp, *key_args(jobs, "seal-b")]
    )
    refused = main(["sign", source, str(out), *stamp, *key_args(jobs)])

    assert (status, refused) == (0, 2)
    reader = pdfcheck.read(out.read_bytes())
    widget = pdfcheck.field(reader, "edocx_signature")
    assert [float(v) for v in widget["/Rect"]] != [0] * 4
    drawn = "".join(pdfcheck.drawn_text(widget["/AP"]["/N"]))
    assert text.replace(" ", "") in drawn.replace(" ", "")


@pytest.mark.usefixtures("cli_env")
def test_sign_with_a_token_key_as_the_agency_seal(
    jobs: JobFactory,
    dev_token: DevToken,
    unsigned_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    personal, sealed = tmp_path / "personal.pdf", tmp_path / "sealed.pdf"
    assert main(["sign", str(unsigned_dir / "sample.pdf"), str(personal),
                 "--level", "B-LT", *key_args(jobs)]) == 0  # fmt: skip
    monkeypatch.delenv("EDOCX_TOKEN_PIN", raising=False)
    token = [
        "--pkcs11-module", str(dev_token.module), "--token", dev_token.label,
        "--key-label", "seal-a", "--pin-file", str(dev_token.pin_file),
    ]  # fmt: skip
    seal = ["--role", "seal", "--number", "7", "--notation", "QĐ-UBND"]

    status = main(["sign", str(personal), str(sealed), *token, *seal, "--place",
                   "Nghệ An", "--level", "B-LT", "--trust",
                   str(jobs.pki.root_cert_path), "--tsa", jobs.tsa_url])  # fmt: skip

    assert status == 0
    report = offline(sealed.read_bytes(), jobs)
    assert [s.field for s in report.signatures] == ["edocx_personal", "edocx_seal"]
    assert all(s.indication is Indication.TOTAL_PASSED for s in report.signatures), (
        render_text(report)
    )
    number = pdfcheck.field(pdfcheck.read(sealed.read_bytes()), NUMBER_FIELD)["/V"]
    assert "07/QĐ-UBND" in str(number)
