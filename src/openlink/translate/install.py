"""Installing model folders into ``<models_dir>/<engine>/<src>-<trg>/``.

A source (a folder, an archive, an archive's URL, or the fxtranslate package's download
cache) may hold one pair folder or several. Every pair is copied into a work folder inside
the engine folder (``.incoming-*``, a name the engines ignore), ``*.gz`` and ``*.zst``
files are decompressed on the way, each copy is loaded with the engine and made to
translate a probe sentence, and only when all of them pass are they renamed into place:
on the same file system a rename is atomic, so a server that scans the folder sees a pair
whole or not at all. Any failure leaves the models folder as it was.

Used by ``openlink models`` (``cli_models.py``); never by the server, which reads only what
is already installed and downloads nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from openlink.config import Settings
from openlink.translate.base import Pair

ENGINES = ("fxtranslate", "ctranslate2")
#: A short sentence in the pair's source language, to see that a model translates at all.
PROBES = {
    "en": "Hello.",
    "es": "Hola.",
    "pt": "Olá.",
    "fr": "Bonjour.",
    "de": "Hallo.",
    "ko": "안녕하세요.",
    "ja": "こんにちは。",
    "zh": "你好。",
}
WORK_PREFIX = ".incoming-"
_CHUNK = 1 << 20
_LANG = r"[a-z]{2,3}(?:_[a-z]+)?"
PAIR = re.compile(rf"^({_LANG})-({_LANG})$")
#: ``opus-mt-ko-en``, as Helsinki-NLP names its models and people name their conversions.
_FOLDER_PAIR = re.compile(rf"^(?:opus-mt-)?({_LANG})-({_LANG})$")
#: Firefox names a pair's model ``model.<src><trg>.intgemm.alphas.bin``.
_FIREFOX_MODEL = re.compile(r"^model\.([a-z]{2})([a-z]{2})\..*bin$")
_COMPRESSED = (".gz", ".zst")


class InstallError(Exception):
    """A one-line reason, for the operator; nothing was installed."""


class Reporter(Protocol):
    """Progress of one step at a time (copying, unpacking, downloading)."""

    def begin(self, description: str, total: int | None) -> None: ...
    def advance(self, amount: int) -> None: ...
    def end(self) -> None: ...


class Silent:
    def begin(self, description: str, total: int | None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def end(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Installed:
    engine: str
    pair: Pair
    folder: Path
    files: int
    size: int
    #: The probe sentence and its translation, when the pair was checked.
    probe: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        return f"{self.pair[0]}-{self.pair[1]}"


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InstallError(f"unknown engine {engine!r}: use {' or '.join(ENGINES)}")
    return engine


def parse_pair(text: str) -> Pair:
    m = PAIR.match(text.strip().lower())
    if m is None:
        raise InstallError(f"{text!r} is not a language pair: write it like en-ko")
    return m.group(1), m.group(2)


def engine_root(settings: Settings, engine: str) -> Path:
    return settings.effective_models_dir() / check_engine(engine)


def installed(settings: Settings, engine: str) -> list[Installed]:
    """The pair folders in the engine's folder, by name (work folders left out)."""
    root = engine_root(settings, engine)
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        m = PAIR.match(folder.name)
        if m and folder.is_dir():
            files = [f for f in folder.iterdir() if f.is_file()]
            size = sum(f.stat().st_size for f in files)
            found.append(Installed(engine, (m.group(1), m.group(2)), folder, len(files), size))
    return found


def remove(settings: Settings, engine: str, pair: Pair) -> Installed:
    """Delete an installed pair. Renamed aside first, so no one sees a half-deleted one."""
    name = f"{pair[0]}-{pair[1]}"
    match = [i for i in installed(settings, engine) if i.name == name]
    if not match:
        raise InstallError(f"no {engine} model for {name} in {engine_root(settings, engine)}")
    with _workdir(engine_root(settings, engine)) as work:
        match[0].folder.rename(work / name)
    return match[0]


def probe_text(source: str) -> str:
    return PROBES.get(source, PROBES["en"])


def check_pair(
    settings: Settings, engine: str, pair: Pair, models_dir: Path | None = None
) -> tuple[str, str]:
    """Load ``pair`` with the engine (from ``models_dir``, default the configured one) and
    translate a probe sentence: (probe, translation), or :class:`InstallError` saying why."""
    from openlink.domain.glossary import EMPTY
    from openlink.translate import create

    name = f"{pair[0]}-{pair[1]}"
    update: dict[str, Any] = {"translator": engine}
    if models_dir is not None:
        update["models_dir"] = models_dir
    try:
        built = create(settings.model_copy(update=update))
    except Exception as exc:
        raise InstallError(f"the {engine} engine is not available: {exc}") from exc
    if pair not in built.pairs():
        raise InstallError(f"{name}: the {engine} engine finds no model in the folder")
    probe = probe_text(pair[0])
    try:
        out = built.open(*pair).translate(probe, EMPTY)
    except Exception as exc:
        raise InstallError(f"{name}: {_one_line(exc)}") from exc
    if not out.strip():
        raise InstallError(f"{name}: the model translates {probe!r} to nothing (wrong vocabulary?)")
    return probe, out


def install(
    settings: Settings,
    source: str,
    *,
    engine: str = "fxtranslate",
    pair: Pair | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
) -> list[Installed]:
    """Install every pair folder found in ``source``: a folder, an archive, or the
    ``http(s)://`` URL of an archive. All pairs are checked before any is put in place."""
    reporter = reporter or Silent()
    url = source.startswith(("http://", "https://"))
    path = Path(source).expanduser()
    if not url and not path.exists():
        raise InstallError(f"{source}: no such file or folder")
    root = engine_root(settings, engine)
    root.mkdir(parents=True, exist_ok=True)
    with _workdir(root) as work:
        if url:
            path = download(source, work / "download", reporter)
        if path.is_file():
            path = unpack(path, work / "unpacked", reporter)
        return install_from(
            settings, engine, path, work, pair=pair, force=force, reporter=reporter, label=source
        )


def fetch(
    settings: Settings, src: str, trg: str, *, force: bool = False, reporter: Reporter | None = None
) -> list[Installed]:
    """Download ``src -> trg`` (both legs when Firefox pivots it through English) with the
    fxtranslate package's own downloader, then install what it fetched."""
    try:
        from fxtranslate import discovery
    except ImportError:
        raise InstallError(
            "`openlink models fetch` needs the fxtranslate package "
            "(pip install 'openlink[fxtranslate]')"
        ) from None
    root = engine_root(settings, "fxtranslate")
    root.mkdir(parents=True, exist_ok=True)
    with _workdir(root) as work:
        try:
            discovery.add_models(src, trg, cache_dir=str(work / "cache"), progress=True)
        except ValueError as exc:
            raise InstallError(
                f"could not download {src}-{trg} from Firefox Translations: {_one_line(exc)}"
                " (without internet, download the files on another machine and use"
                " `openlink models add`)"
            ) from exc
        return install_from(
            settings,
            "fxtranslate",
            work / "cache",
            work,
            force=force,
            reporter=reporter,
            label=f"the {src}-{trg} download",
        )


def install_from(
    settings: Settings,
    engine: str,
    source: Path,
    work: Path,
    *,
    pair: Pair | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
    label: str = "",
) -> list[Installed]:
    """Stage, check and put in place the pair folders under ``source``; ``work`` is a
    work folder inside the engine folder."""
    reporter = reporter or Silent()
    root = engine_root(settings, engine)
    found = find_pairs(source, engine, pair, label=label)
    names = [f"{s}-{t}" for (s, t), _ in found]
    taken = [n for n in names if (root / n).exists()]
    if taken and not force:
        raise InstallError(
            f"{', '.join(taken)} already installed for {engine}: pass --force to replace"
        )
    staged = work / engine
    staged.mkdir()
    for (_, folder), name in zip(found, names, strict=True):
        copy_pair(folder, staged / name, reporter, f"copying {name}")
    probes = [check_pair(settings, engine, p, models_dir=work) for p, _ in found]
    done = []
    for (p, _), name, probe in zip(found, names, probes, strict=True):
        target, old = root / name, work / f"replaced-{name}"
        if target.exists():
            target.rename(old)
        try:
            (staged / name).rename(target)
        except OSError as exc:
            if old.exists():
                old.rename(target)
            raise InstallError(f"{name}: cannot move into {root}: {_one_line(exc)}") from exc
        files = [f for f in target.iterdir() if f.is_file()]
        size = sum(f.stat().st_size for f in files)
        done.append(Installed(engine, p, target, len(files), size, probe))
    return done


# -- finding pairs ----------------------------------------------------------------------


def _plain_name(name: str) -> str:
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_model(engine: str, name: str) -> bool:
    plain = _plain_name(name)
    if engine == "ctranslate2":
        return plain == "model.bin"
    return plain.startswith("model.") and plain.endswith(".bin") and plain != "model.bin"


def _model_dirs(root: Path, engine: str) -> list[Path]:
    found = []
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        rel = folder.relative_to(root).parts
        if any(part.startswith((".", "__MACOSX")) for part in rel):
            continue
        if any(_is_model(engine, f.name) for f in folder.iterdir() if f.is_file()):
            found.append(folder)
    return found


def infer_pair(folder: Path, engine: str) -> Pair | None:
    """The pair a folder holds: from its name (``en-ko``), or from the name of a Firefox
    model file in it. A folder whose name and files disagree is refused."""
    m = _FOLDER_PAIR.match(folder.name.lower())
    by_name = (m.group(1), m.group(2)) if m else None
    by_files = _pair_from_files(folder) if engine == "fxtranslate" else None
    if by_name and by_files and by_name != by_files:
        raise InstallError(
            f"{folder.name}: the folder is named for {'-'.join(by_name)} but its model is"
            f" for {'-'.join(by_files)}"
        )
    return by_name or by_files


def _pair_from_files(folder: Path) -> Pair | None:
    for f in sorted(folder.iterdir()):
        m = _FIREFOX_MODEL.match(_plain_name(f.name))
        if m:
            return m.group(1), m.group(2)
    return None


def find_pairs(
    source: Path, engine: str, pair: Pair | None = None, *, label: str = ""
) -> list[tuple[Pair, Path]]:
    """The (pair, folder) of every model folder under ``source`` (``label`` names it)."""
    folders = _model_dirs(source, engine)
    if not folders:
        other = next(e for e in ENGINES if e != engine)
        hint = f" (it holds {other} model files: --engine {other})"
        raise InstallError(
            f"no {engine} model files in {label or source}"
            + (hint if _model_dirs(source, other) else "")
        )
    if pair is not None and len(folders) > 1:
        raise InstallError(f"--pair names one pair, but the source holds {len(folders)} models")
    found: list[tuple[Pair, Path]] = []
    for folder in folders:
        if pair is None:
            chosen = infer_pair(folder, engine)
        else:
            by_files = _pair_from_files(folder) if engine == "fxtranslate" else None
            if by_files is not None and by_files != pair:
                raise InstallError(
                    f"--pair says {'-'.join(pair)} but the model is for {'-'.join(by_files)}"
                )
            chosen = pair
        if chosen is None:
            raise InstallError(
                f"cannot tell the language pair of {folder.name}: name the folder like en-ko"
                " or pass --pair en-ko"
            )
        found.append((chosen, folder))
    names = [p for p, _ in found]
    dupes = sorted({f"{s}-{t}" for s, t in names if names.count((s, t)) > 1})
    if dupes:
        raise InstallError(f"the source holds {', '.join(dupes)} more than once")
    return found


# -- copying, unpacking, decompressing --------------------------------------------------


def copy_pair(folder: Path, into: Path, reporter: Reporter, description: str) -> None:
    """Copy a pair folder's files (not its subfolders), decompressing ``*.gz``/``*.zst``."""
    files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
    into.mkdir(parents=True)
    reporter.begin(description, sum(f.stat().st_size for f in files))
    try:
        for f in files:
            target = into / _plain_name(f.name)
            with f.open("rb") as raw:
                counted = _Counting(raw, reporter)
                if f.name.endswith(".gz"):
                    _gunzip(counted, target, f.name)
                elif f.name.endswith(".zst"):
                    unzstd(counted, target, f.name)
                else:
                    _pump(counted, target)
    finally:
        reporter.end()


def unpack(archive: Path, into: Path, reporter: Reporter) -> Path:
    """Extract a .tar (any compression tarfile reads), .tar.zst or .zip into ``into``."""
    lower = archive.name.lower()
    into.mkdir(parents=True)
    if lower.endswith((".tar.zst", ".tzst")):
        tar = into.parent / "archive.tar"
        reporter.begin(f"decompressing {archive.name}", archive.stat().st_size)
        try:
            with archive.open("rb") as raw:
                unzstd(_Counting(raw, reporter), tar, archive.name)
        finally:
            reporter.end()
        archive = tar
    if zipfile.is_zipfile(archive):
        _unzip(archive, into, reporter)
    elif tarfile.is_tarfile(archive):
        _untar(archive, into, reporter)
    else:
        raise InstallError(
            f"{archive.name}: not a folder or an archive this can unpack"
            " (.tar, .tar.gz, .tgz, .tar.zst, .zip)"
        )
    return into


def check_member_name(archive: str, name: str) -> None:
    """Refuse an archive member whose name, as written or percent-decoded, could land
    outside the folder it is unpacked into: absolute, with ``..``, a drive or a backslash
    (a separator on Windows), or a control character."""
    for form in {name, unquote(name)}:
        parts = PurePosixPath(form).parts
        if (
            form.startswith("/")
            or "\\" in form
            or ".." in parts
            or PureWindowsPath(form).drive
            or any(ord(c) < 32 for c in form)
        ):
            raise InstallError(f"{archive}: refusing {name!r}: it points outside the archive")


def _untar(archive: Path, into: Path, reporter: Reporter) -> None:
    reporter.begin(f"unpacking {archive.name}", archive.stat().st_size)
    try:
        with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            done = 0
            for member in tar:
                check_member_name(archive.name, member.name)
                if not (member.isfile() or member.isdir()):
                    raise InstallError(
                        f"{archive.name}: refusing {member.name!r}: links and special files"
                        " are not model files"
                    )
                # The library's own "data" filter stays as a second line of defence.
                tar.extract(member, into, filter="data")
                reporter.advance(raw.tell() - done)
                done = raw.tell()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InstallError(f"{archive.name}: cannot unpack: {_one_line(exc)}") from exc
    finally:
        reporter.end()


def _unzip(archive: Path, into: Path, reporter: Reporter) -> None:
    reporter.begin(f"unpacking {archive.name}", archive.stat().st_size)
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                check_member_name(archive.name, info.filename)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise InstallError(
                        f"{archive.name}: refusing {info.filename!r}: links are not model files"
                    )
                zf.extract(info, into)
                reporter.advance(info.compress_size)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InstallError(f"{archive.name}: cannot unpack: {_one_line(exc)}") from exc
    finally:
        reporter.end()


class _Counting:
    """A reader that reports how many bytes went through it."""

    def __init__(self, raw: IO[bytes], reporter: Reporter) -> None:
        self._raw = raw
        self._reporter = reporter

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._reporter.advance(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)


def _pump(reader: Any, target: Path) -> None:
    with target.open("wb") as out:
        while chunk := reader.read(_CHUNK):
            out.write(chunk)


def _gunzip(reader: _Counting, target: Path, name: str) -> None:
    try:
        _pump(gzip.GzipFile(fileobj=reader, mode="rb"), target)
    except (OSError, EOFError) as exc:
        raise InstallError(f"{name}: not a valid gzip file: {_one_line(exc)}") from exc


def unzstd(reader: _Counting, target: Path, name: str) -> None:
    """Decompress zstd with the ``zstandard`` package (streaming) or, without it, with
    fxtranslate's decompressor (in memory: model files are tens of megabytes)."""
    try:
        zstandard: Any = importlib.import_module("zstandard")
    except ImportError:
        zstandard = None
    try:
        if zstandard is not None:
            with target.open("wb") as out:
                zstandard.ZstdDecompressor().copy_stream(reader, out)
            return
        try:
            from fxtranslate import discovery
        except ImportError:
            raise InstallError(
                f"{name} is zstd-compressed: install the 'zstandard' or 'fxtranslate' package"
                " to decompress it"
            ) from None
        target.write_bytes(discovery.verify_and_decompress(reader.read()))
    except InstallError:
        raise
    except Exception as exc:
        raise InstallError(f"{name}: not a valid zstd file: {_one_line(exc)}") from exc


def download(url: str, into: Path, reporter: Reporter) -> Path:
    """Stream ``url`` into the folder ``into``; :class:`InstallError` when offline."""
    import httpx

    into.mkdir(parents=True)
    target = into / url_file_name(url)
    try:
        with (
            httpx.Client(follow_redirects=True, timeout=30.0) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InstallError(f"could not download {url}: HTTP {response.status_code}")
            size = int(response.headers.get("content-length") or 0)
            reporter.begin(f"downloading {target.name}", size or None)
            try:
                with target.open("wb") as out:
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
                        reporter.advance(len(chunk))
            finally:
                reporter.end()
    except httpx.HTTPError as exc:
        raise InstallError(
            f"could not download {url}: {_one_line(exc)} (no internet here? download it on"
            " another machine, copy it over and pass the file)"
        ) from exc
    return target


@contextlib.contextmanager
def _workdir(root: Path) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=root))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def url_file_name(url: str) -> str:
    """The file name at the end of ``url``'s path, percent-decoded; refused when the
    decoded name is not a plain file name (``a%2F..%2F..%2Fx`` would leave the folder)."""
    name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    if not name:
        return "download"
    if name in (".", "..") or any(c in name for c in "/\\") or any(ord(c) < 32 for c in name):
        raise InstallError(f"could not download {url}: {name!r} is not a plain file name")
    return name


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
