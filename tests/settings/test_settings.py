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


def test_the_command_lines_log_one_line_each_on_stderr_debug_only_with_verbose(
        capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from mystery_core.errors import PROJECT_LOGGERS, configure_logging

    ours, theirs = logging.getLogger("campaigns.probe"), logging.getLogger("alembic.probe")
    try:
        configure_logging(verbose=False)
        configure_logging(verbose=False)  # once per process, however often a group runs
        ours.info("shown")
        ours.debug("hidden")
        theirs.info("a library's info")
        lines = capsys.readouterr().err.splitlines()
        assert 1 == len(lines) and lines[0].endswith(" INFO campaigns.probe: shown")
        configure_logging(verbose=True)
        ours.debug("shown too")
        assert capsys.readouterr().err.endswith(" DEBUG campaigns.probe: shown too\n")
    finally:
        for name in PROJECT_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_mystery_verbose_is_a_flag_of_the_group_not_an_environment_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mono.wav").write_bytes(b"not audio")
    monkeypatch.setenv("MYSTERY_VERBOSE", "1")
    quiet = CliRunner().invoke(main, ["transcribe", "mono.wav", "--segments", "none.json"])
    assert (2, "error: none.json: --segments: cannot read: No such file or directory\n") == (
        quiet.exit_code, quiet.output)
    verbose = CliRunner().invoke(main, ["--verbose", "transcribe", "mono.wav", "--segments", "none.json"])
    assert isinstance(verbose.exception, InputError)
