"""Browser tests: the real server from ``tests/conftest.py`` (uvicorn in the test's loop)
and Debian's Chromium driven by Playwright's async API.

Every test gets a fresh server; Chromium starts once per session (a second or more saved
per test), and each tab is a new browser context (its own storage, like another person's
browser), closed when the test ends. So the browser tests share one event loop, the
session's: Playwright's objects belong to the loop that made them. Pages open with
``window.__OPENLINK_TEST__`` set, which makes the app expose a few hooks
(``window.__openlinkTest``) to cut its socket. Screenshots of the main screens go to
``$OPENLINK_SCREENSHOTS`` or ``<repo>/test-artifacts/screenshots``; the run's summary
prints the folder.

Playwright is part of the ``dev`` extra, so a missing one is an error. Without
``/usr/bin/chromium`` the tests are skipped, except under ``.ci/run`` (which installs it):
there they fail, as a skip would hide that nothing was tested.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import STRICT, Server, TestDatabase, http_client, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # A fake camera and microphone (a beep), allowed without asking: voice messages.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
REPO = Path(__file__).resolve().parents[2]
SHOTS_DIR = Path(os.environ.get("OPENLINK_SCREENSHOTS") or REPO / "test-artifacts" / "screenshots")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
#: Long enough for a first translation (the engine's worker starts on demand).
WAIT_MS = 15_000

_shots_taken: list[Path] = []


HAVE_CHROMIUM = CHROMIUM.exists()
MISSING = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents:
            continue
        if inspect.iscoroutinefunction(getattr(item, "obj", None)):
            # Before the marker pytest-asyncio's auto mode added: the closest one counts.
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)
        if not HAVE_CHROMIUM and not STRICT:
            item.add_marker(pytest.mark.skip(reason=MISSING))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _shots_taken:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"{len(_shots_taken)} screenshots in {SHOTS_DIR}")


expect.set_options(timeout=WAIT_MS)


@dataclass
class Tab:
    """One browser page, with what it did that a test may want to check."""

    page: Page
    context: BrowserContext
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail(MISSING)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


# The server and client of tests/conftest.py, in the session's loop.
@pytest_asyncio.fixture(loop_scope="session")
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[Server]:
    async with running_server(request, tmp_path, test_database) as started:
        yield started


@pytest_asyncio.fixture(loop_scope="session")
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(server) as c:
        yield c


OpenTab = Callable[..., Awaitable[Tab]]


@pytest_asyncio.fixture(loop_scope="session")
async def open_tab(browser: Browser, server: Server) -> AsyncIterator[OpenTab]:
    """``await open_tab(path, token=..., locale=..., viewport=...)``: a new browser context
    (its own storage, like another person's browser) showing ``server.url + path``."""
    contexts: list[BrowserContext] = []

    async def open_(
        path: str = "/",
        *,
        token: str | None = None,
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        phone: bool = False,
    ) -> Tab:
        context = await browser.new_context(
            viewport=viewport or (PHONE if phone else DESKTOP),
            locale=locale,
            has_touch=phone,
            is_mobile=phone,
            device_scale_factor=2 if phone else 1,
        )
        contexts.append(context)
        script = "window.__OPENLINK_TEST__ = true;"
        if token is not None:
            # What the app stores after signing in: the page opens signed in.
            script += f"localStorage.setItem('openlink.token', {json.dumps(json.dumps(token))});"
        await context.add_init_script(script)
        page = await context.new_page()
        tab = Tab(page, context)

        async def on_dialog(dialog: Any) -> None:
            tab.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        def on_console(msg: Any) -> None:
            # The page's CSP refusing something means the app tried an inline style or
            # script, or eval: a bug even if nothing visible broke.
            if msg.type == "error" and "Content Security Policy" in msg.text:
                tab.errors.append(msg.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        await page.goto(server.url + path)
        return tab

    yield open_
    for context in contexts:
        await context.close()


Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture
def shot() -> Shot:
    """``await shot(page, "chat-desktop")`` saves ``<folder>/chat-desktop.png``."""
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)

    async def take(page: Page, name: str) -> None:
        path = SHOTS_DIR / f"{name}.png"
        await page.screenshot(path=str(path), animations="disabled", caret="hide")
        _shots_taken.append(path)

    return take
