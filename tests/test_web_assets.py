"""``openlink assets fetch``: npm tarballs from a stand-in registry on 127.0.0.1, built by
each test. Integrity is checked before anything is extracted, only the listed regular
files are written, a second run downloads nothing, and offline is a clear error.
Then the real assets as the server serves them: cached for a year under a versioned
folder, the manifest revalidated, the page's CSP unchanged."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import json
import logging
import socket
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from openlink import webvendor
from openlink.cli import app
from openlink.http.web import WEB_CSP, warn_if_vendor_missing
from openlink.webvendor import AssetsError, fetch
from tests.conftest import STRICT

PICKER = b"export const Picker = 1;\n"
DATA = b'[{"emoji": "\\ud83d\\ude00"}]'


def tgz(entries: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A gzipped tarball as npm packs one: every entry under ``package/``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return out.getvalue()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@dataclass
class Registry:
    """A stand-in npm registry: serves ``tarballs`` by path and counts the requests."""

    url: str
    tarballs: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, registry: Registry, *args: object) -> None:
        self.registry = registry
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self.registry.requests.append(self.path)
        body = self.registry.tarballs.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[Registry]:
    reg = Registry(url="")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, reg))
    reg.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield reg
    server.shutdown()
    server.server_close()


def lock_for(
    tmp_path: Path,
    url: str,
    tarball: bytes,
    *,
    files: tuple[str, ...] = ("index.js", "en/data.json"),
    integrity: str | None = None,
    version: str = "1.0.0",
    name: str = "vendor.lock.json",
) -> Path:
    lock = tmp_path / name
    entry = {
        "name": "picker",
        "version": version,
        "tarball": url,
        "integrity": integrity or sri(tarball),
        "files": list(files),
    }
    lock.write_text(json.dumps({"packages": [entry]}))
    return lock


def good_tarball() -> bytes:
    return tgz(
        {
            "package/index.js": PICKER,
            "package/en/data.json": DATA,
            "package/README.md": b"not listed, never extracted",
        }
    )


def written(vendor: Path) -> list[str]:
    """Every file under ``vendor``, relative (the manifest included)."""
    if not vendor.exists():
        return []
    return sorted(str(p.relative_to(vendor)) for p in vendor.rglob("*") if not p.is_dir())


def test_fetch_writes_the_listed_files_then_a_second_run_downloads_nothing(
    tmp_path: Path, registry: Registry
) -> None:
    data = good_tarball()
    registry.tarballs["/picker/-/picker-1.0.0.tgz"] = data
    lock = lock_for(tmp_path, f"{registry.url}/picker/-/picker-1.0.0.tgz", data)
    vendor = tmp_path / "vendor"
    said: list[str] = []

    assert fetch(lock, vendor, say=said.append) == 1
    assert written(vendor) == [
        "manifest.json",
        "picker@1.0.0/en/data.json",
        "picker@1.0.0/index.js",
    ]
    assert (vendor / "picker@1.0.0" / "index.js").read_bytes() == PICKER
    manifest = json.loads((vendor / "manifest.json").read_text())["packages"]["picker"]
    assert manifest["path"] == "/app/vendor/picker@1.0.0/"
    assert manifest["files"]["index.js"] == hashlib.sha256(PICKER).hexdigest()
    assert webvendor.missing(lock, vendor) == []

    assert fetch(lock, vendor, say=said.append) == 0
    assert registry.requests == ["/picker/-/picker-1.0.0.tgz"]  # once
    assert said[-1] == "picker@1.0.0: present"

    # A file changed on disk is put back; a new version in the lock replaces the old one.
    (vendor / "picker@1.0.0" / "index.js").write_bytes(b"tampered")
    assert fetch(lock, vendor, say=said.append) == 1
    assert (vendor / "picker@1.0.0" / "index.js").read_bytes() == PICKER
    registry.tarballs["/picker-1.1.0.tgz"] = data
    lock = lock_for(tmp_path, f"{registry.url}/picker-1.1.0.tgz", data, version="1.1.0")
    assert fetch(lock, vendor, say=said.append) == 1
    assert written(vendor) == [
        "manifest.json",
        "picker@1.1.0/en/data.json",
        "picker@1.1.0/index.js",
    ]


def test_a_tarball_that_fails_its_integrity_check_is_refused_before_extraction(
    tmp_path: Path, registry: Registry
) -> None:
    data = good_tarball()
    registry.tarballs["/picker.tgz"] = data
    other = sri(data + b"x")
    lock = lock_for(tmp_path, f"{registry.url}/picker.tgz", data, integrity=other)
    vendor = tmp_path / "vendor"
    with pytest.raises(AssetsError, match="integrity mismatch") as refused:
        fetch(lock, vendor, say=lambda _: None)
    assert other in str(refused.value) and "nothing was extracted" in str(refused.value)
    assert written(vendor) == []


@pytest.mark.parametrize(
    ("entries", "links", "reason"),
    [
        ({"package/index.js": PICKER, "package/../../evil.js": b"x"}, None, "unsafe entry"),
        ({"package/index.js": PICKER, "/etc/evil.js": b"x"}, None, "unsafe entry"),
        ({"package/index.js": PICKER}, {"package/en/data.json": "/etc/passwd"}, "not a regular"),
        ({"package/index.js": PICKER}, None, "has no file 'en/data.json'"),
    ],
    ids=["dot-dot", "absolute", "symlink", "missing"],
)
def test_an_unsafe_or_incomplete_tarball_is_refused_and_nothing_is_written(
    tmp_path: Path,
    registry: Registry,
    entries: dict[str, bytes],
    links: dict[str, str] | None,
    reason: str,
) -> None:
    data = tgz(entries, links=links)
    registry.tarballs["/picker.tgz"] = data
    lock = lock_for(tmp_path, f"{registry.url}/picker.tgz", data)  # its integrity holds
    vendor = tmp_path / "deep" / "vendor"
    with pytest.raises(AssetsError, match=reason):
        fetch(lock, vendor, say=lambda _: None)
    assert written(vendor) == []
    assert not (tmp_path / "evil.js").exists() and not (tmp_path / "deep" / "evil.js").exists()


def test_a_lock_naming_a_path_outside_the_package_is_refused(tmp_path: Path) -> None:
    lock = lock_for(tmp_path, "https://registry.example/p.tgz", b"", files=("../x.js",))
    with pytest.raises(AssetsError, match="unsafe or missing file names"):
        fetch(lock, tmp_path / "vendor", say=lambda _: None)
    assert written(tmp_path / "vendor") == []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_is_a_clear_error_and_a_cache_folder_installs_without_network(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = good_tarball()
    offline = lock_for(tmp_path, f"http://127.0.0.1:{closed_port()}/picker.tgz", data)
    monkeypatch.setattr(webvendor, "LOCK_FILE", offline)
    monkeypatch.setattr(webvendor, "VENDOR_DIR", tmp_path / "vendor")
    result = CliRunner().invoke(app, ["assets", "fetch"])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: picker@1.0.0: could not download http://127.0.0.1:")
    assert "still runs" in last and "--cache" in last
    assert "Traceback" not in result.output
    assert written(tmp_path / "vendor") == []

    # On a connected machine the tarball is fetched into a cache folder…
    registry.tarballs["/picker.tgz"] = data
    online = lock_for(tmp_path, f"{registry.url}/picker.tgz", data, name="online.lock.json")
    cache = tmp_path / "cache"
    fetch(online, tmp_path / "elsewhere", cache=cache, say=lambda _: None)
    assert [p.name for p in cache.iterdir()] == ["picker-1.0.0.tgz"]
    # …which installs the offline machine, integrity checked, without asking the network.
    result = CliRunner().invoke(app, ["assets", "fetch", "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert written(tmp_path / "vendor") == [
        "manifest.json",
        "picker@1.0.0/en/data.json",
        "picker@1.0.0/index.js",
    ]
    # A cached tarball that does not match the lock is refused like a downloaded one.
    (cache / "picker-1.0.0.tgz").write_bytes(tgz({"package/index.js": b"evil"}))
    with pytest.raises(AssetsError, match="integrity mismatch"):
        fetch(online, tmp_path / "third", cache=cache, say=lambda _: None)
    assert written(tmp_path / "third") == []


def test_the_server_says_at_startup_which_assets_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data = good_tarball()
    monkeypatch.setattr(webvendor, "LOCK_FILE", lock_for(tmp_path, "https://x.invalid/p", data))
    monkeypatch.setattr(webvendor, "VENDOR_DIR", tmp_path / "vendor")
    with caplog.at_level(logging.WARNING, logger="openlink.http.web"):
        warn_if_vendor_missing()
    assert "web assets missing: picker@1.0.0" in caplog.text
    assert "emoji picker is unavailable" in caplog.text


@pytest.mark.skipif(
    bool(webvendor.missing()) and not STRICT,
    reason="npm assets missing: run `openlink assets fetch` (make test does)",
)
async def test_the_server_serves_the_fetched_assets_with_a_years_cache(
    client: httpx.AsyncClient,
) -> None:
    missing = webvendor.missing()
    assert not missing, f"npm assets missing: {missing}; `make` runs `openlink assets fetch`"
    manifest = await client.get("/app/vendor/manifest.json")
    assert manifest.status_code == 200
    assert manifest.headers["cache-control"] == "no-cache"
    packages = manifest.json()["packages"]
    picker = await client.get(packages["emoji-picker-element"]["path"] + "picker.js")
    assert picker.status_code == 200
    assert picker.headers["content-type"].startswith("text/javascript")
    assert picker.headers["cache-control"] == "public, max-age=31536000, immutable"
    data = packages["emoji-picker-element-data"]
    for file in data["files"]:
        assert (await client.head(data["path"] + file)).status_code == 200
    # Only what the lock lists is there: nothing else of the tarball is served.
    assert (
        await client.get(packages["emoji-picker-element"]["path"] + "README.md")
    ).status_code == 404
    page = await client.get("/")
    assert page.headers["content-security-policy"] == WEB_CSP
    assert "script-src 'self';" in WEB_CSP and "style-src 'self';" in WEB_CSP
