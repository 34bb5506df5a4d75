"""Helpers shared by the link-preview tests: the pages the sites serve, what the fake site
was asked, and waiting for the preview jobs."""

from __future__ import annotations

import pytest

from openlink.actions.previews import PREVIEW_TASK
from tests.conftest import Server
from tests.fakes import FakeImageServer

LOOPBACK_ALLOWED = pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"])


def page(title: str = "Moon landing", image: str | None = "/pic.png", extra: str = "") -> bytes:
    tags = [
        f'<meta property="og:title" content="{title}">',
        '<meta property="og:description" content="Men &amp; machines on the Moon">',
        '<meta property="og:site_name" content="Space News">',
    ]
    if image:
        tags.append(f'<meta property="og:image" content="{image}">')
    head = "".join(tags) + extra
    html = f"<!doctype html><html><head><title>ignored</title>{head}</head><body>x</body></html>"
    return html.encode()


async def settle(server: Server) -> None:
    await server.app.state.supervisor.settle(PREVIEW_TASK)


def paths(fake: FakeImageServer) -> list[str]:
    return [path for path, _ in fake.requests]
