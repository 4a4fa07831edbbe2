"""What ``edocx sign`` and ``edocx augment`` refuse, and how they say it."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko_certvalidator.errors import PathBuildingError

from edocx.cli import main
from edocx.errors import ConfigurationError, PDFAlreadySignedError, SigningError
from edocx.signing import Level, prepare_draft, sign_personal
from edocx.signing.augment import AugmentSetup, augment_pdf
from edocx.signing.images import load_stamp_image
from edocx.verification import Verdict
from edocx.verification.trust import TrustFindings
from edocx.verification.verify import _run as run_trust_checks
from tests.signing.conftest import JobFactory
from tests.signing.test_sign_cli import cli_env, key_args, offline

__all__ = ["cli_env"]


def with_open_action_script(pdf: bytes) -> bytes:
    """Append a revision that runs JavaScript when the file opens."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    action = generic.DictionaryObject(
        {
            pdf_name("/S"): pdf_name("/JavaScript"),
            pdf_name("/JS"): pdf_string('app.alert("forged")'),
        }
    )
    writer.root[pdf_name("/OpenAction")] = writer.add_object(action)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def tampered_b_t(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path, cli_env: None
) -> Path:
    signed = tmp_path / "bt.pdf"
    assert main(["sign", str(unsigned_dir / "sample.pdf"), str(signed),
                 "--level", "B-T", *key_args(jobs)]) == 0  # fmt: skip
    tampered = tmp_path / "bt-tampered.pdf"
    tampered.write_bytes(with_open_action_script(signed.read_bytes()))
    assert offline(tampered.read_bytes(), jobs).verdict is Verdict.FAILED
    return tampered


def test_augment_refuses_a_file_changed_after_its_signature(
    jobs: JobFactory, tampered_b_t: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raised = tampered_b_t.parent / "lta.pdf"
    capsys.readouterr()

    status = main(["augment", str(tampered_b_t), str(raised), "--level", "B-LTA",
                   "--trust", str(jobs.pki.root_cert_path), "--tsa",
                   jobs.tsa_url])  # fmt: skip

    err = capsys.readouterr().err
    assert status == 1, err
    assert "signatures do not hold" in err and "edocx_personal" in err
    assert "/OpenAction" in err and "Traceback" not in err
    assert not raised.exists()


def test_augment_pdf_adds_nothing_to_a_tampered_file(
    jobs: JobFactory, tampered_b_t: Path
) -> None:
    setup = AugmentSetup((jobs.pki.root_cert_path,), jobs.pki.chain_cert_paths)

    with pytest.raises(SigningError, match="changed after this signature"):
        augment_pdf(tampered_b_t.read_bytes(), Level.B_LT, setup)


@pytest.mark.usefixtures("cli_env")
def test_an_input_larger_than_the_hub_takes_is_refused_unread(
    jobs: JobFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Sparse: 3 GB that cost nothing, unless read.
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as f:
        f.truncate(3 * 2**30)
    out = str(tmp_path / "out.pdf")
    augment = ["augment", str(huge), out, "--level", "B-LT"]

    signing = main(["sign", str(huge), out, *key_args(jobs)])
    signing_said = capsys.readouterr().err
    augmenting = main([*augment, "--trust", str(jobs.pki.root_cert_path)])
    augmenting_said = capsys.readouterr().err

    assert (signing, augmenting) == (3, 3)
    for said in (signing_said, augmenting_said):
        assert "3072.0 MB, larger than the 50 MB" in said
        assert "http.max_upload_mb" in said and "MemoryError" not in said
    assert not Path(out).exists()


@pytest.mark.usefixtures("cli_env")
def test_a_foreign_signature_leaves_no_traceback_on_stderr(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # pdfa2u-gray.pdf carries a signature under a root this PKI does not
    # know: pyHanko cannot build its path, and says so at length.
    out = tmp_path / "gray.pdf"

    status = main(["sign", str(unsigned_dir / "pdfa2u-gray.pdf"), str(out),
                   "--level", "B-LT", *key_args(jobs)])  # fmt: skip

    err = capfd.readouterr().err
    assert status == 0, err
    assert "Traceback" not in err and "PathBuildingError" not in err


def test_the_trust_checks_fail_without_an_event_loop_error_attached() -> None:
    # pyHanko logs a failed path with its traceback: the probe for a running
    # event loop must not be there as the context of every such error.
    async def failing() -> list[TrustFindings]:
        raise PathBuildingError("no issuer")

    with pytest.raises(PathBuildingError) as caught:
        run_trust_checks(failing())

    assert caught.value.__context__ is None


def png_header(width: int, height: int) -> bytes:
    """A PNG that states ``width`` x ``height`` pixels and holds none."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [13_000, 40_000])
def test_a_huge_stamp_image_is_refused_in_plain_words(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path, side: int,
    capsys: pytest.CaptureFixture[str], cli_env: None,
) -> None:  # fmt: skip
    # Pillow warns of 13000 x 13000 pixels and refuses 40000 x 40000.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header(side, side))
    out = tmp_path / "out.pdf"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["sign", str(unsigned_dir / "sample.pdf"), str(out),
                       "--image", str(bomb), *key_args(jobs)])  # fmt: skip
        with pytest.raises(ConfigurationError) as hub_side:
            load_stamp_image(bomb)

    err = capsys.readouterr().err
    assert status == 4, err
    assert f"too large: {side} x {side} pixels" in err
    assert "hint: use a PNG of at most 4096 x 4096 pixels" in err
    assert "revocation" not in err and not out.exists()
    assert hub_side.value.hint is not None and "4096" in hub_side.value.hint
    bomb_warning = Image.DecompressionBombWarning
    bombs = [w for w in caught if issubclass(w.category, bomb_warning)]
    assert bombs == []


@pytest.mark.usefixtures("cli_env")
def test_texts_the_api_refuses_are_refused(
    jobs: JobFactory, unsigned_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    source, out = str(unsigned_dir / "sample.pdf"), str(tmp_path / "x.pdf")
    plain = ["--role", "plain", *key_args(jobs, "seal-b")]
    cases = {
        "a period": ["--field", "a.b"],
        "an override in a field": ["--field", "ký\u202etên"],
        "an override in a stamp": ["--stamp-text", "Ký bởi \u202eUBND"],
        "a line feed in a name": ["--signer-name", "Nguyễn\nVăn"],
    }

    said = {}
    for name, options in cases.items():
        status = main(["sign", source, out, *plain, *options])
        said[name] = (status, capsys.readouterr().err)

    for name, (status, err) in said.items():
        assert status == 2, f"{name}: {err}"
    assert "no period" in said["a period"][1]
    assert "U+202E" in said["an override in a field"][1]
    assert "--stamp-text" in said["an override in a stamp"][1]
    assert "U+000A" in said["a line feed in a name"][1]
    assert not Path(out).exists()


def test_a_personally_signed_draft_is_called_what_it_is(
    jobs: JobFactory, unsigned_dir: Path
) -> None:
    draft = prepare_draft((unsigned_dir / "sample.pdf").read_bytes(), None)
    signed = sign_personal(draft.pdf, jobs.personal("doc-signed-again"))

    with pytest.raises(PDFAlreadySignedError) as caught:
        prepare_draft(signed, None)

    error = caught.value
    assert error.code == "pdf-already-issued" and error.status == 422
    assert "personal signature made by edocx" in error.detail
    assert "upload the unsigned draft" in error.detail
    assert "already been issued" not in error.detail
