"""``edocx sign`` and ``edocx augment`` end to end, in this process."""

from __future__ import annotations

import io
import socket
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

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
from tests.signing import pdfcheck, stampcheck
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
def test_the_competence_line_stands_above_the_signer_name(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "competence.pdf"

    status = main(
        ["sign", str(unsigned_dir / "sample.pdf"), str(out), "--level", "B-T",
         "--competence", "KT. CHỦ TỊCH", *key_args(jobs)]
    )  # fmt: skip

    assert status == 0
    shown = stampcheck.words(
        stampcheck.extracted_text(out.read_bytes(), "edocx_personal")
    )
    assert shown[:3] == ["KT.", "CHỦ", "TỊCH"]
    assert "Thành" in shown[shown.index("TỊCH") :]


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
    assert "--password-env" in said and "upload" not in said
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

    said = capsys.readouterr()
    err = said.err
    assert status == 3  # the worst: one file is not a usable PDF
    assert said.out.splitlines()[-1].startswith("3 of 4 signed, 1 failed, in ")
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

    assert no_tsa == 1 and dead in no_tsa_said and "--tsa URL" in no_tsa_said
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


@pytest.mark.usefixtures("cli_env")
def test_a_signature_that_breaks_a_lock_is_not_written(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The personal signature locks every field but the number, the date and
    # the seal; a later signature in the draft's own empty field breaks it.
    personal, out = tmp_path / "personal.pdf", tmp_path / "out.pdf"
    draft = str(unsigned_dir / "documentEmptySignature.pdf")
    assert main(["sign", draft, str(personal), *key_args(jobs)]) == 0
    capsys.readouterr()

    status = main(["sign", str(personal), str(out), "--role", "plain",
                   "--field", "signature", *key_args(jobs, "seal-b")])  # fmt: skip

    err = capsys.readouterr().err
    again = main(["sign", str(personal), str(out), *key_args(jobs)])
    again_said = capsys.readouterr().err

    assert status == 1
    assert "does not verify" in err and "edocx_personal is TOTAL-FAILED" in err
    assert not out.exists()
    # A second personal signature: the command line's words, not the hub's.
    assert again == 3 and "--role seal" in again_said
    assert "issued" not in again_said and "forward" not in again_said


@pytest.fixture
def outside_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse, and record, any name lookup or connection beyond loopback.

    A tripwire, so that a regression cannot reach the addresses a test file
    names: it records the attempt and fails it before any packet leaves.
    """
    tried: list[str] = []
    lookup, connect = socket.getaddrinfo, socket.socket.connect
    loopback = {"127.0.0.1", "::1", "localhost"}

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in loopback:
            tried.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"refused in tests: {name}")
        return lookup(host, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in loopback:
            tried.append(host)
            raise ConnectionRefusedError(f"refused in tests: {host}")
        return connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return tried


@pytest.mark.usefixtures("cli_env")
def test_augment_fetches_nothing_for_a_foreign_signature(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    outside_lookups: list[str],
) -> None:
    # pdfa2u-gray.pdf carries a signature under a root this PKI does not
    # trust, whose certificates name addresses on the internet.
    source = unsigned_dir / "pdfa2u-gray.pdf"
    foreign_reader = PdfFileReader(io.BytesIO(source.read_bytes()), strict=False)
    (foreign,) = foreign_reader.embedded_signatures
    signed, raised = tmp_path / "bt.pdf", tmp_path / "lt.pdf"
    assert main(["sign", str(source), str(signed), "--level", "B-T",
                 *key_args(jobs)]) == 0  # fmt: skip
    capsys.readouterr()

    status = main(["augment", str(signed), str(raised), "--level", "B-LT",
                   "--trust", str(jobs.pki.root_cert_path)])  # fmt: skip

    said = capsys.readouterr()
    assert status == 0, said.err
    assert outside_lookups == []
    # The foreign signature has no timestamp: the file stays B-B as a whole.
    assert said.out.strip() == f"{raised}: B-B (B-LT asked)"
    assert f"signature {foreign.field_name} does not chain" in said.err
    report = offline(raised.read_bytes(), jobs)
    own = [s for s in report.signatures if s.field == "edocx_personal"]
    assert [short_level(s.level) for s in own] == ["B-LT"]
    assert own[0].indication is Indication.TOTAL_PASSED


@pytest.mark.usefixtures("cli_env")
def test_augment_says_a_b_b_signature_stays_b_b(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signed, raised = tmp_path / "bb.pdf", tmp_path / "lt.pdf"
    assert main(["sign", str(unsigned_dir / "sample.pdf"), str(signed),
                 "--level", "B-B", *key_args(jobs)]) == 0  # fmt: skip
    capsys.readouterr()

    status = main(["augment", str(signed), str(raised), "--level", "B-LT",
                   "--trust", str(jobs.pki.root_cert_path)])  # fmt: skip

    said = capsys.readouterr()
    assert status == 0
    assert said.out.strip() == f"{raised}: B-B (B-LT asked)"
    assert "stays below B-LT" in said.err


@pytest.mark.usefixtures("cli_env")
def test_bad_paths_and_inputs_give_one_line_and_their_status(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = str(unsigned_dir / "sample.pdf")
    text = tmp_path / "notes.txt"
    text.write_text("not a certificate\n")
    a_file = tmp_path / "a-file"
    a_file.write_bytes(b"x")
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "x.pdf")
    augment = ["augment", "--level", "B-LT"]
    corrupted = str(unsigned_dir / "EmptyPage-corrupted.pdf")
    encrypted = str(unsigned_dir / "protected_open_protected.pdf")
    cases = {
        "no folder": (["sign", source, str(tmp_path / "nodir" / "x.pdf")], 2),
        "a folder": (["sign", source, str(tmp_path)], 2),
        "--out a file": (
            ["sign", "--batch", str(unsigned_dir), "--out", str(a_file)],
            2,
        ),
        "empty batch": (["sign", "--batch", str(empty), "--out", str(a_file)], 3),
        "text --trust": (["sign", source, out, "--trust", str(text)], 3),
        "augment corrupted": ([*augment, corrupted, out], 3),
        "augment encrypted": ([*augment, encrypted, out], 3),
        "augment into no folder": (
            [*augment, source, str(tmp_path / "no" / "x.pdf")],
            2,
        ),
        "augment text --trust": ([*augment, source, out, "--trust", str(text)], 3),
    }
    key = ["--p12", str(jobs.pki.p12_path("person-a-signer"))]

    said = {}
    for name, (argv, _) in cases.items():
        status = main([*argv, *key] if argv[0] == "sign" else argv)
        said[name] = (status, capsys.readouterr().err)

    for name, (_, expected) in cases.items():
        status, err = said[name]
        assert status == expected, f"{name}: {err}"
        assert "Traceback" not in err, name
    assert "not a usable PDF" in said["augment corrupted"][1]
    assert "encrypted" in said["augment encrypted"][1]
    assert "holds no PEM or DER certificate" in said["text --trust"][1]
    assert "no PDF file in" in said["empty batch"][1]
    assert not list(tmp_path.glob("**/x.pdf"))


@pytest.mark.usefixtures("cli_env")
def test_key_secrets_options_win_and_fail_cleanly(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, out = str(unsigned_dir / "sample.pdf"), str(tmp_path / "x.pdf")
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the passphrase\n")
    # A copy: the process keeps the keys it has opened by path.
    p12 = tmp_path / "copy.p12"
    p12.write_bytes(jobs.pki.p12_path("person-a-signer").read_bytes())
    key = [*key_args(jobs), "--p12", str(p12)]

    missing_file = main(["sign", source, out, *key_args(jobs),
                         "--passphrase-file", str(tmp_path / "nope")])  # fmt: skip
    missing_said = capsys.readouterr().err
    wrong_file = main(["sign", source, out, *key, "--passphrase-file", str(wrong)])
    wrong_said = capsys.readouterr().err
    monkeypatch.delenv("PDF_PASSWORD", raising=False)
    unset = main(["sign", source, out, *key_args(jobs), "--password-env",
                  "PDF_PASSWORD"])  # fmt: skip
    unset_said = capsys.readouterr().err
    a_pdf = main(["sign", source, out, *key_args(jobs), "--p12", source])
    a_pdf_said = capsys.readouterr().err
    token = ["--pkcs11-module", "/x.so", "--token", "t", "--key-label", "k"]
    no_pin_file = main(["sign", source, out, *token, "--pin-file", "/nope"])
    no_pin_file_said = capsys.readouterr().err

    assert missing_file == 4 and "--passphrase-file" in missing_said
    # The file wins over EDOCX_KEY_PASSPHRASE, which holds the right one.
    assert wrong_file == 4 and "Traceback" not in wrong_said
    assert "Could not open" not in wrong_said
    assert "cannot open credential copy.p12" in wrong_said
    assert "--passphrase-file" in wrong_said
    assert unset == 2 and "PDF_PASSWORD, which is not set" in unset_said
    assert a_pdf == 4 and "Traceback" not in a_pdf_said
    assert no_pin_file == 4 and "--pin-file names no file" in no_pin_file_said
    assert not Path(out).exists()


@pytest.mark.usefixtures("cli_env")
def test_a_plain_signature_fills_a_field_the_permissions_let_it_fill(
    jobs: JobFactory,
    unsigned_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Form filling (bit 9) is granted, modifying (bit 4) is not: the empty
    # field may be signed, a new field may not be made.
    source = str(
        unsigned_dir / "protected_edition_protected_signing_allowed_with_field.pdf"
    )
    filled, added = tmp_path / "filled.pdf", tmp_path / "added.pdf"
    plain = ["--role", "plain", "--level", "B-LT", *key_args(jobs, "seal-b")]

    fills = main(["sign", source, str(filled), "--field", "Signature1", *plain])
    fills_said = capsys.readouterr().err
    # Below B-LT, the check after signing fetches from the new signature's
    # certificates, the only ones the encrypted file carries.
    at_b_t = tmp_path / "b-t.pdf"
    plain_b_t = [*plain, "--level", "B-T"]
    fills_b_t = main(["sign", source, str(at_b_t), "--field", "Signature1", *plain_b_t])
    adds = main(["sign", source, str(added), *plain])
    adds_said = capsys.readouterr().err

    assert fills == 0, fills_said
    assert fills_b_t == 0 and at_b_t.exists()
    assert adds == 3 and "modify the document (bit 4)" in adds_said
    assert "upload" not in adds_said and not added.exists()
    signed = filled.read_bytes()
    assert signed.startswith((unsigned_dir / source).read_bytes())
    (signature,) = offline(signed, jobs).signatures
    assert signature.field == "Signature1"
    assert signature.indication is Indication.TOTAL_PASSED


@pytest.mark.usefixtures("cli_env")
def test_signing_in_place_replaces_the_file_whole(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "in-place.pdf"
    original = (unsigned_dir / "sample.pdf").read_bytes()
    target.write_bytes(original)
    target.chmod(0o640)

    status = main(["sign", str(target), str(target), *key_args(jobs)])

    assert status == 0
    signed = target.read_bytes()
    assert signed != original and signed.startswith(b"%PDF")
    assert offline(signed, jobs).signatures[0].indication is Indication.TOTAL_PASSED
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["in-place.pdf"]
