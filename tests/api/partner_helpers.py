"""Helpers shared by the partner tests: an operator, partners with their keys, content
that names a work, and the ``<head>`` of the pages other sites read of its room."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import httpx

from openlink.actions.operator import do_set_operator
from tests.conftest import Server
from tests.factories import auth, expect, make_user

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def make_operator(server: Server, client: httpx.AsyncClient) -> str:
    user, token = await make_user(client)
    await do_set_operator(server.app.state.ctx, user["username"], True)
    return token


async def add_partner(
    client: httpx.AsyncClient, operator: str, name: str, origins: list[str] | None = None
) -> dict[str, Any]:
    """``{"partner": ..., "key": ...}``."""
    body = {"name": name, "allowed_origins": origins or [f"https://{name.lower()}.example"]}
    return expect(await client.post("/api/admin/partners", json=body, headers=auth(operator)), 201)


async def put_content(
    client: httpx.AsyncClient,
    key: str,
    content_id: str,
    work: dict[str, str],
    *,
    status: int | None = None,
    title: str = "One Piece",
    language: str = "en",
    **extra: Any,
) -> httpx.Response:
    body = {"work": work, "title": title, "language": language, **extra}
    response = await client.put(f"/api/partner/content/{content_id}", json=body, headers=auth(key))
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text)
    return response


async def content_room(
    server: Server, client: httpx.AsyncClient, title: str = "One Piece"
) -> dict[str, Any]:
    """Two partners' content naming one work, and a third partner with other content."""
    operator = await make_operator(server, client)
    ko = await add_partner(client, operator, "Ko", ["https://reader.example.kr"])
    ja = await add_partner(
        client, operator, "Ja", ["https://manga.example.jp:8443", "http://localhost:3000"]
    )
    other = await add_partner(client, operator, "Other", ["https://other.example"])
    work = {"work_id": "op-1"}
    made = await put_content(client, ko["key"], "c-1", work, status=201, title=title)
    await put_content(client, ja["key"], "c-2", work, status=201)
    await put_content(client, other["key"], "c-3", {"work_id": "else"}, status=201)
    return {
        **made.json(),
        "code": made.json()["link"].removeprefix("/l/"),
        "operator": operator,
        "ja": ja,
    }


class Head(HTMLParser):
    """The ``<meta>`` and ``<link>`` tags of a page, and whether any tag came from text."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "meta" and ("property" in found or "name" in found):
            self.meta[found.get("property") or found["name"]] = found.get("content", "")
        if tag == "link":
            self.links.append(found)


def parse(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head
