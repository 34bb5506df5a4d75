"""Browser libraries from npm, fetched at install time and served by the package.

``web/vendor.lock.json`` names each package: its exact version, the registry's tarball URL
and its ``integrity`` (the registry's ``dist.integrity``, what ``package-lock.json``
records), and the few files of the tarball the web app uses. :func:`fetch` downloads
each tarball with the standard library, checks its integrity before opening it, and
writes only the listed files, as regular files, under ``web/vendor/{name}@{version}/``
(git-ignored). ``web/vendor/manifest.json`` records what is there, so a second run checks
the files and downloads nothing. No node, no npm, no CDN: the browser only ever asks this
server. See docs/decisions/0027-npm-assets.md.

Standard library only, so it runs before anything else is installed:
``python -m openlink.webvendor fetch`` (``PYTHONPATH=src`` in a checkout) does what
``openlink assets fetch`` does.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

WEB_DIR = Path(__file__).resolve().parent / "web"
LOCK_FILE = WEB_DIR / "vendor.lock.json"
VENDOR_DIR = WEB_DIR / "vendor"
MANIFEST = "manifest.json"
#: Where the folders are served: the app mounts web/ at /app.
URL_PREFIX = "/app/vendor/"
MAX_TARBALL_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
TIMEOUT_S = 60.0
_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")
_HASHES = {"sha512", "sha384", "sha256"}
_OFFLINE_HINT = (
    "The web app still runs, without what this package provides (the emoji picker). "
    "To install without network access, fetch on a connected machine with "
    "`openlink assets fetch --cache DIR`, copy DIR over and run the same command there "
    "(docs/operations.md)."
)


class AssetsError(Exception):
    """A lock file, download or tarball that cannot be used; the message says why."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    tarball: str
    integrity: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def cache_name(self) -> str:
        return f"{self.name.replace('/', '+')}-{self.version}.tgz"


def _safe_relative(path: str) -> bool:
    p = PurePosixPath(path)
    return (
        bool(path)
        and "\\" not in path
        and "\x00" not in path
        and not p.is_absolute()
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def read_lock(path: Path | None = None) -> list[Package]:
    """The packages of a lock file, each checked: a lock is reviewed code, but a typo in
    it must not write outside the vendor folder or skip the integrity check."""
    path = path or LOCK_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = raw["packages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetsError(f"{path}: not a readable lock file ({exc})") from None
    packages = []
    for entry in entries:
        try:
            pkg = Package(
                name=str(entry["name"]),
                version=str(entry["version"]),
                tarball=str(entry["tarball"]),
                integrity=str(entry["integrity"]),
                files=tuple(str(f) for f in entry["files"]),
            )
        except (KeyError, TypeError) as exc:
            raise AssetsError(f"{path}: an entry lacks {exc}") from None
        if not _NAME.match(pkg.name) or not _VERSION.match(pkg.version):
            raise AssetsError(f"{path}: {pkg.label!r} is not an exact npm name and version")
        if not pkg.tarball.startswith(("https://", "http://")):
            raise AssetsError(f"{path}: {pkg.label}: the tarball must be an http(s) URL")
        if pkg.integrity.partition("-")[0] not in _HASHES:
            raise AssetsError(f"{path}: {pkg.label}: integrity must be sha512-… (sha384, sha256)")
        bad = [f for f in pkg.files if not _safe_relative(f)]
        if bad or not pkg.files:
            raise AssetsError(f"{path}: {pkg.label}: unsafe or missing file names {bad}")
        packages.append(pkg)
    return packages


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise unless ``data`` has the Subresource Integrity digest ``integrity``."""
    algo, _, expected_b64 = integrity.partition("-")
    if algo not in _HASHES:
        raise AssetsError(f"unsupported integrity {integrity!r}")
    actual = hashlib.new(algo, data).digest()
    if not hmac.compare_digest(actual, base64.b64decode(expected_b64)):
        got = f"{algo}-{base64.b64encode(actual).decode()}"
        raise AssetsError(f"integrity mismatch: the lock says {integrity}, the tarball is {got}")


def _download(pkg: Package) -> bytes:
    request = urllib.request.Request(
        pkg.tarball, headers={"User-Agent": "openlink-assets", "Accept": "*/*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            data: bytes = response.read(MAX_TARBALL_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise AssetsError(f"{pkg.label}: {pkg.tarball} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetsError(
            f"{pkg.label}: could not download {pkg.tarball} ({reason}). {_OFFLINE_HINT}"
        ) from None
    if len(data) > MAX_TARBALL_BYTES:
        raise AssetsError(f"{pkg.label}: the tarball is larger than {MAX_TARBALL_BYTES} bytes")
    return data


def tarball(pkg: Package, cache: Path | None = None) -> bytes:
    """The package's tarball, from ``cache`` if it holds it, else downloaded (and then
    kept in ``cache``); its integrity checked either way."""
    cached = cache / pkg.cache_name if cache else None
    if cached and cached.is_file():
        data = cached.read_bytes()
        source = str(cached)
    else:
        data = _download(pkg)
        source = pkg.tarball
    try:
        check_integrity(data, pkg.integrity)
    except AssetsError as exc:
        raise AssetsError(f"{pkg.label} from {source}: {exc}; nothing was extracted") from None
    if cached and not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    return data


def extract(pkg: Package, data: bytes, dest: Path) -> dict[str, str]:
    """Write the listed files of the tarball ``data`` under ``dest``; their sha256 by name.

    Nothing is extracted by ``tarfile``: every entry's name is checked (a tarball with an
    absolute or ``..`` name is refused whole), and each listed file must be a regular
    file, whose bytes are written by us. Links are never followed nor created.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            return _extract_listed(pkg, tar, dest)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise AssetsError(f"{pkg.label}: not a usable gzipped tarball ({exc})") from None


def _extract_listed(pkg: Package, tar: tarfile.TarFile, dest: Path) -> dict[str, str]:
    by_name: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        if not _safe_relative(member.name.removeprefix("./")):
            raise AssetsError(f"{pkg.label}: refused, unsafe entry {member.name!r}")
        # npm tarballs put everything under one folder, usually "package/".
        _, _, inner = member.name.removeprefix("./").partition("/")
        by_name[inner] = member
    digests = {}
    for name in pkg.files:
        found = by_name.get(name)
        if found is None:
            raise AssetsError(f"{pkg.label}: the tarball has no file {name!r}")
        if not found.isreg():
            raise AssetsError(f"{pkg.label}: refused, {name!r} is not a regular file")
        if found.size > MAX_FILE_BYTES:
            raise AssetsError(f"{pkg.label}: {name!r} is larger than {MAX_FILE_BYTES} bytes")
        handle = tar.extractfile(found)
        if handle is None:
            raise AssetsError(f"{pkg.label}: {name!r} cannot be read")
        content = handle.read()
        target = dest.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        digests[name] = hashlib.sha256(content).hexdigest()
    return digests


def read_manifest(vendor: Path | None = None) -> dict[str, Any]:
    """What the last fetch installed (empty if nothing, or if the file is unreadable)."""
    vendor = vendor or VENDOR_DIR
    try:
        manifest = json.loads((vendor / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    packages = manifest.get("packages") if isinstance(manifest, dict) else None
    return packages if isinstance(packages, dict) else {}


def _present(pkg: Package, entry: Any, vendor: Path) -> bool:
    if not isinstance(entry, dict) or entry.get("version") != pkg.version:
        return False
    files = entry.get("files")
    if entry.get("integrity") != pkg.integrity or not isinstance(files, dict):
        return False
    if sorted(files) != sorted(pkg.files):
        return False
    folder = vendor / pkg.folder
    for name, digest in files.items():
        path = folder.joinpath(*name.split("/"))
        if path.is_symlink() or not path.is_file():
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return False
    return True


def _install(pkg: Package, data: bytes, vendor: Path) -> dict[str, str]:
    """Extract into a temporary folder beside the target, then move it in place: a
    failure half-way leaves the old files (or none), never a mix."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=vendor))
    try:
        digests = extract(pkg, data, staging)
        target = vendor / pkg.folder
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return digests
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _prune(packages: list[Package], vendor: Path) -> None:
    """Remove the folders of versions the lock no longer names (scoped packages' folders
    are kept: their scope folder may hold several)."""
    keep = {pkg.folder.split("/")[0] for pkg in packages}
    for entry in vendor.iterdir():
        stale = "@" in entry.name[1:] and entry.name not in keep and entry.name[0] != "@"
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)


def fetch(
    lock: Path | None = None,
    vendor: Path | None = None,
    cache: Path | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Make ``vendor`` hold exactly the lock's files; the number of packages fetched.

    Idempotent: a package whose files are present with the recorded digests is skipped
    without any network access. Raises :class:`AssetsError` (and leaves what was there)
    when a tarball cannot be had or fails its integrity check.
    """
    vendor = vendor or VENDOR_DIR
    packages = read_lock(lock or LOCK_FILE)
    vendor.mkdir(parents=True, exist_ok=True)
    old = read_manifest(vendor)
    entries: dict[str, Any] = {}
    fetched = 0
    for pkg in packages:
        if _present(pkg, old.get(pkg.name), vendor):
            entries[pkg.name] = old[pkg.name]
            say(f"{pkg.label}: present")
            continue
        digests = _install(pkg, tarball(pkg, cache), vendor)
        entries[pkg.name] = {
            "version": pkg.version,
            "integrity": pkg.integrity,
            "path": f"{URL_PREFIX}{pkg.folder}/",
            "files": digests,
        }
        fetched += 1
        say(f"{pkg.label}: fetched {len(digests)} files, integrity checked")
    _prune(packages, vendor)
    if fetched or entries != old:
        staged = vendor / f".{MANIFEST}.tmp"
        staged.write_text(json.dumps({"packages": entries}, indent=1), encoding="utf-8")
        os.replace(staged, vendor / MANIFEST)
    return fetched


def missing(lock: Path | None = None, vendor: Path | None = None) -> list[str]:
    """The locked packages that are not in ``vendor`` at their locked version (cheap: the
    manifest and the files' presence, no hashing); what the server warns about."""
    vendor = vendor or VENDOR_DIR
    installed = read_manifest(vendor)
    out = []
    for pkg in read_lock(lock):
        entry = installed.get(pkg.name)
        ok = isinstance(entry, dict) and entry.get("version") == pkg.version
        folder = vendor / pkg.folder
        if not ok or not all(folder.joinpath(*f.split("/")).is_file() for f in pkg.files):
            out.append(pkg.label)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m openlink.webvendor fetch [--cache DIR]``: the command without the CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if (
        not args
        or args[0] != "fetch"
        or len(args) not in (1, 3)
        or args[1:2] not in ([], ["--cache"])
    ):
        print("usage: python -m openlink.webvendor fetch [--cache DIR]", file=sys.stderr)
        return 2
    try:
        fetch(cache=Path(args[2]) if len(args) == 3 else None)
    except (AssetsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
