"""The QR's address follows the hub's own address unless set."""

from __future__ import annotations

import pytest

from edocx.config import Settings


@pytest.fixture(autouse=True)
def no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)
    monkeypatch.delenv("EDOCX_COPIES__VERIFY_BASE_URL", raising=False)


def test_the_qr_address_defaults_to_the_public_url() -> None:
    settings = Settings(http={"port": 9123})
    assert settings.copies.verify_base_url == "http://127.0.0.1:9123/c/"

    public = Settings(http={"public_url": "https://hub.example.vn/edocx"})
    assert public.copies.verify_base_url == "https://hub.example.vn/edocx/c/"


def test_a_set_qr_address_is_kept() -> None:
    settings = Settings(
        http={"port": 9123}, copies={"verify_base_url": "https://kiemtra.vn/c/"}
    )
    assert settings.copies.verify_base_url == "https://kiemtra.vn/c/"
