"""``openlink models``: install, list and remove translation model files.

The file work is in ``translate/install.py``; this module parses, shows progress and
turns :class:`InstallError` into a one-line message and exit code 1.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from openlink.config import Settings
from openlink.translate import install as inst

models_app = typer.Typer(help="Translation models in the models folder.", no_args_is_help=True)
T = TypeVar("T")

EngineOption = Annotated[
    str, typer.Option("--engine", help="fxtranslate or ctranslate2.", show_default=True)
]


class _RichReporter:
    """Progress bars on stderr, started with the first step (no output when none ran)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._started = False
        self._task: TaskID | None = None

    def begin(self, description: str, total: int | None) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def end(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, total=task.completed)
            self._task = None

    def close(self) -> None:
        if self._started:
            self._progress.stop()


def _run(step: Callable[[], T]) -> T:
    """Run ``step``; an :class:`InstallError` becomes its message and exit code 1."""
    try:
        return step()
    except inst.InstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _with_progress(step: Callable[[_RichReporter], T]) -> T:
    """Run ``step`` with progress bars, closed before any message is printed."""
    reporter = _RichReporter()

    def run() -> T:
        try:
            return step(reporter)
        finally:
            reporter.close()

    return _run(run)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _report(done: list[inst.Installed]) -> None:
    for item in done:
        probe, out = item.probe or ("", "")
        typer.echo(
            f"installed {item.engine} {item.name} ({item.files} files, {_size(item.size)}): "
            f"{probe!r} -> {out!r}"
        )
    if done:
        typer.echo(
            f"restart the server (OPENLINK_TRANSLATOR={done[0].engine}) to use "
            f"{'it' if len(done) == 1 else 'them'}"
        )


@models_app.command("list")
def list_models(
    engine: Annotated[
        str | None, typer.Option("--engine", help="Only this engine's models.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Load each pair and translate a probe sentence."),
    ] = False,
) -> None:
    """Show the installed language pairs with their size (exit 1 if a --check fails)."""
    settings = Settings()
    engines = [_run(lambda: inst.check_engine(engine))] if engine else list(inst.ENGINES)
    console = Console()
    failed = shown = 0
    for name in engines:
        pairs = inst.installed(settings, name)
        if not pairs:
            continue
        console.print(f"[bold]{name}[/bold] in {inst.engine_root(settings, name)}")
        table = Table()
        for column in ("pair", "files", "size", *(["check"] if check else [])):
            table.add_column(column, justify="right" if column in ("files", "size") else "left")
        for item in pairs:
            row = [item.name, str(item.files), _size(item.size)]
            if check:
                try:
                    probe, out = inst.check_pair(settings, name, item.pair)
                    row.append(f"ok: {probe} -> {out}")
                except inst.InstallError as exc:
                    failed += 1
                    row.append(f"[red]{exc}[/red]")
            table.add_row(*row)
        console.print(table)
        shown += len(pairs)
    if not shown:
        typer.echo(
            f"no translation models in {settings.effective_models_dir()}: "
            "add some with `openlink models fetch` or `openlink models add`"
        )
    if failed:
        raise typer.Exit(1)


@models_app.command("add")
def add(
    source: Annotated[
        str,
        typer.Argument(
            help="A model folder, an archive (.tar, .tar.gz, .tgz, .tar.zst, .zip), "
            "or the http(s) URL of an archive.",
            show_default=False,
        ),
    ],
    engine: EngineOption = "fxtranslate",
    pair: Annotated[
        str | None,
        typer.Option(help="The pair, like en-ko, when folder and file names do not say."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a pair already there.")] = False,
) -> None:
    """Install model folders: copy, check that each loads and translates, put in place."""
    settings = Settings()
    name = _run(lambda: inst.check_engine(engine))
    wanted = _run(lambda: inst.parse_pair(pair)) if pair else None
    done = _with_progress(
        lambda reporter: inst.install(
            settings, source, engine=name, pair=wanted, force=force, reporter=reporter
        )
    )
    _report(done)


@models_app.command("fetch")
def fetch(
    src: Annotated[str, typer.Argument(help="Source language, like en.", show_default=False)],
    trg: Annotated[str, typer.Argument(help="Target language, like ko.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace pairs already there.")] = False,
) -> None:
    """Download a Firefox Translations pair (needs internet) and install it for fxtranslate."""
    settings = Settings()
    s, t = _run(lambda: inst.parse_pair(f"{src}-{trg}"))
    done = _with_progress(
        lambda reporter: inst.fetch(settings, s, t, force=force, reporter=reporter)
    )
    _report(done)


@models_app.command("remove")
def remove(
    pair: Annotated[str, typer.Argument(help="The pair, like en-ko.", show_default=False)],
    engine: EngineOption = "fxtranslate",
) -> None:
    """Delete an installed pair; restart the server afterwards."""
    settings = Settings()
    name = _run(lambda: inst.check_engine(engine))
    gone = _run(lambda: inst.remove(settings, name, inst.parse_pair(pair)))
    typer.echo(f"removed {gone.engine} {gone.name} ({_size(gone.size)})")


demo_log = logging.getLogger("openlink.demo")


def pick_demo_translator(settings: Settings) -> None:
    """Translate the demo with fxtranslate when its models are installed (``make run``
    installs en<->pt) and the operator chose no engine; say so either way."""
    if "translator" in settings.model_fields_set:
        demo_log.info("demo: translator %s, as configured", settings.translator)
        return
    engine = importlib.util.find_spec("fxtranslate") is not None
    pairs = inst.installed(settings, "fxtranslate") if engine else []
    if not pairs:
        demo_log.warning(
            "demo: no translation models in %s, so messages stay untranslated; `make run` "
            "installs en<->pt (docs/translation.md)",
            settings.effective_models_dir(),
        )
        return
    settings.translator = "fxtranslate"
    demo_log.info(
        "demo: translating with fxtranslate (%s) from %s",
        ", ".join(p.name for p in pairs),
        settings.effective_models_dir(),
    )
