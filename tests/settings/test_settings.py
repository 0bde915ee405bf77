"""Settings: defaults < file < MYSTERY_* environment < flags; errors name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main
from mystery_core.errors import InputError
from mystery_core.settings import load_settings


def test_later_sources_win_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "mystery.yaml"
    path.write_text("database_url: sqlite:///from-file.db\nsip:\n  username: alice\n  codecs: [PCMU]\n")
    env = {"MYSTERY_SIP_USERNAME": "bob", "MYSTERY_ASR_LANGUAGE": "fr"}
    settings = load_settings(path, env=env, overrides={"asr.language": "ko"})
    assert "sqlite:///from-file.db" == settings.database_url
    assert "bob" == settings.sip.username
    assert ("PCMU",) == settings.sip.codecs
    assert "ko" == settings.asr.language
    assert f"file {path}" == settings.sources["database_url"]
    assert "env MYSTERY_SIP_USERNAME" == settings.sources["sip.username"]


def test_an_unknown_key_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "mystery.yaml"
    path.write_text("sip:\n  pasword: x\n")
    with pytest.raises(InputError) as error:
        load_settings(path, env={})
    assert str(error.value).startswith(f"{path}: sip.pasword: unknown setting")


def test_a_bad_number_in_the_environment_is_one_clear_error() -> None:
    with pytest.raises(InputError, match=r"\$MYSTERY_SIP_PORT: sip.port: expected int"):
        load_settings(env={"MYSTERY_SIP_PORT": "fifty"})


def test_config_show_masks_the_sip_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MYSTERY_SIP_PASSWORD", "s3cr3t-value")
    result = CliRunner().invoke(main, ["config", "show"], env={"COLUMNS": "200"})
    assert 0 == result.exit_code, result.output
    assert "s3cr3t-value" not in result.output
    assert "********" in result.output
