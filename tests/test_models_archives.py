"""``openlink models add`` refuses archives and URLs whose file names would land outside
its work folder, as written or once percent-decoded, and links of any kind in archives.
Each case is refused before any engine is loaded, so no model is needed."""

from __future__ import annotations

import http.server
import io
import stat
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from tests.models_cli import models, openlink, refused

__all__ = ["models"]  # the fixture, used by name


def add(source: str | Path) -> Result:
    return openlink("add", str(source))


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def tar_with(path: Path, *members: tarfile.TarInfo) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            data = b"model bytes" if member.isfile() else None
            if data is not None:
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def link_member(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    "name",
    [
        "../model.enpt.intgemm.alphas.bin",
        "/tmp/model.enpt.intgemm.alphas.bin",
        "en-pt\\..\\..\\model.enpt.intgemm.alphas.bin",
        "%2e%2e/model.enpt.intgemm.alphas.bin",
        "en-pt/%2E%2E%2F..%2Fmodel.enpt.intgemm.alphas.bin",
        "C:/model.enpt.intgemm.alphas.bin",
    ],
)
def test_a_tar_member_that_escapes_is_refused(models: Path, tmp_path: Path, name: str) -> None:
    archive = tar_with(tmp_path / "pair.tar.gz", file_member(name))
    refused(add(archive), "points outside the archive")
    assert not (tmp_path / "model.enpt.intgemm.alphas.bin").exists()
    assert everything_under(models) == []


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        (link_member("en-pt/model.enpt.intgemm.alphas.bin", "/etc/passwd"), "symbolic"),
        (link_member("en-pt/vocab.enpt.spm", "lex.bin"), "symbolic, inside"),
        (link_member("en-pt/vocab.enpt.spm", "en-pt/lex.bin", tarfile.LNKTYPE), "hard"),
        (link_member("en-pt/fifo", "", tarfile.FIFOTYPE), "fifo"),
    ],
)
def test_links_and_special_files_in_a_tar_are_refused(
    models: Path, tmp_path: Path, member: tarfile.TarInfo, kind: str
) -> None:
    archive = tar_with(tmp_path / "pair.tar.gz", file_member("en-pt/lex.bin"), member)
    refused(add(archive), "not model files")
    assert everything_under(models) == [], kind


def test_a_zip_entry_that_escapes_or_links_is_refused(models: Path, tmp_path: Path) -> None:
    escaping = tmp_path / "escaping.zip"
    with zipfile.ZipFile(escaping, "w") as zf:
        zf.writestr("..\\..\\model.enpt.intgemm.alphas.bin", b"model bytes")
    refused(add(escaping), "points outside the archive")

    linking = tmp_path / "linking.zip"
    with zipfile.ZipFile(linking, "w") as zf:
        info = zipfile.ZipInfo("en-pt/model.enpt.intgemm.alphas.bin")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    refused(add(linking), "links are not model files")
    assert everything_under(models) == []


@pytest.fixture
def web() -> Iterator[str]:
    """A web server that answers every path with a few bytes."""

    class Any(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"bytes")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Any)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    "name", ["..%2F..%2F..%2F..%2Fescaped.tar.gz", "..%5C..%5Cescaped.tar.gz", "%2E%2E"]
)
def test_a_url_whose_decoded_file_name_escapes_is_refused(
    models: Path, tmp_path: Path, web: str, name: str
) -> None:
    refused(add(f"{web}/models/{name}"), "not a plain file name")
    assert not (tmp_path / "escaped.tar.gz").exists()
    assert everything_under(models) == []
