"""Stamp images: the demo's stand-ins, reading them, fitting them to PDF/A."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from edocx.errors import ConfigurationError
from edocx.signing.demoimages import DPI, SEAL_MM, draw_seal, draw_signature
from edocx.signing.images import (
    adapt,
    load_stamp_image,
    seal_image_path,
    signature_image_path,
)
from edocx.signing.pdfa import ColourRules

AGENCY = "Ủy ban nhân dân tỉnh Thừa Thiên Huế"


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_demo_seal_is_a_red_transparent_png_of_actual_size() -> None:
    image = _open(draw_seal(AGENCY))

    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.1)
    assert image.width / DPI * 25.4 == pytest.approx(SEAL_MM, abs=0.2)
    assert image.getpixel((0, 0))[3] == 0  # a transparent corner
    data = image.tobytes()
    inked = [data[i : i + 4] for i in range(0, len(data), 4) if data[i + 3] == 255]
    assert inked and all(r > 150 and g < 60 and b < 60 for r, g, b, _ in inked)


def test_demo_signature_is_the_same_for_the_same_name() -> None:
    assert draw_signature("Đặng Văn Lâm") == draw_signature("Đặng Văn Lâm")
    assert draw_signature("Đặng Văn Lâm") != draw_signature("Nguyễn Thị Hường")
    assert _open(draw_signature("Đặng Văn Lâm")).getpixel((0, 0))[3] == 0


def test_actual_size_comes_from_the_png_resolution(tmp_path: Path) -> None:
    path = tmp_path / "seal.png"
    path.write_bytes(draw_seal(AGENCY))

    stamp = load_stamp_image(path)

    assert stamp.width_pt == pytest.approx(SEAL_MM / 25.4 * 72, abs=0.5)
    assert stamp.height_pt == pytest.approx(stamp.width_pt)


@pytest.mark.parametrize("content", [b"", b"GIF89a not a png", b"\x89PNG broken"])
def test_an_unusable_image_is_a_configuration_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)

    with pytest.raises(ConfigurationError):
        load_stamp_image(path)


def test_a_missing_image_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_stamp_image(tmp_path / "none.png")


def test_pdfa1_flattens_the_seal_onto_white() -> None:
    seal = _open(draw_seal(AGENCY)).convert("RGBA")

    flat = adapt(seal, ColourRules(part=1, intent_components=3))

    assert flat.mode == "RGB"
    assert flat.getpixel((0, 0)) == (255, 255, 255)


def test_a_grey_output_intent_gets_grey() -> None:
    seal = _open(draw_seal(AGENCY)).convert("RGBA")

    assert adapt(seal, ColourRules(part=2, intent_components=1)).mode == "LA"
    assert adapt(seal, ColourRules(part=1, intent_components=1)).mode == "L"
    assert adapt(seal, ColourRules(part=None, intent_components=None)).mode == "RGBA"


def test_configured_images_are_found_by_agency_and_credential(
    tmp_path: Path,
) -> None:
    (tmp_path / "seal-000.00.00.H41.png").write_bytes(draw_seal(AGENCY))
    (tmp_path / "signature-person-a-signer.png").write_bytes(draw_signature("A"))

    assert seal_image_path(tmp_path, "000.00.00.H41") is not None
    assert seal_image_path(tmp_path, "000.00.00.H42") is None
    assert signature_image_path(tmp_path, "person-a-signer") is not None
    assert signature_image_path(tmp_path, None) is None
    # A name that would leave the folder names nothing.
    assert signature_image_path(tmp_path, "../signature-person-a-signer") is None
