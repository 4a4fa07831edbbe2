"""Configuration: file, environment, and paths that do not depend on the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from edocx.config import PROJECT_ROOT, Settings, load_settings
from edocx.errors import ConfigurationError


def test_default_file_is_found_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDOCX_CONFIG", raising=False)

    settings = Settings()

    assert settings.storage.var_dir == PROJECT_ROOT / "var"
    assert settings.pki.dir == PROJECT_ROOT / "var" / "pki"
    assert settings.pki.template.is_file()
    assert settings.keys.passphrase_file == (
        PROJECT_ROOT / "var" / "secrets" / "key-passphrase"
    )


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOCX_HTTP__PORT", "9191")
    monkeypatch.setenv("EDOCX_STORAGE__VAR_DIR", "/srv/edocx")
    monkeypatch.setenv("EDOCX_WORKERS__PROCESSES", "3")

    settings = Settings()

    assert settings.http.port == 9191
    assert settings.workers.processes == 3
    assert settings.pki.dir == Path("/srv/edocx/pki")


def test_unknown_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "edocx.toml"
    config.write_text("demo = true\nlisten_everywhere = true\n")
    monkeypatch.setenv("EDOCX_CONFIG", str(config))

    with pytest.raises(ValueError, match="listen_everywhere"):
        Settings()


def test_public_url_follows_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOCX_HTTP__PORT", "9090")

    assert Settings().http.public_url == "http://127.0.0.1:9090/"


@pytest.mark.parametrize(
    "name", ["EDOCX_HTTP__PROT", "EDOCX_HTTPP__PORT", "EDOCX_DEMOO"]
)
def test_misspelt_environment_variable_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "1")

    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_misspelt_key_in_a_section_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "edocx.toml"
    config.write_text("[http]\nprot = 1\n")
    monkeypatch.setenv("EDOCX_CONFIG", str(config))

    with pytest.raises(ConfigurationError, match=r"http\.prot"):
        load_settings()


def test_named_config_file_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDOCX_CONFIG", str(tmp_path / "missing.toml"))

    with pytest.raises(ConfigurationError, match=r"missing\.toml"):
        load_settings()
