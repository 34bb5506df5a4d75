"""The demo's accounts as the first screen may name them: read from ``data/demo.json``, the
same file ``openlink seed --demo`` writes them from."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DEMO_PASSWORD = "openlink-demo"


@cache
def demo_data() -> dict[str, Any]:
    text = resources.files("openlink").joinpath("data/demo.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def demo_accounts() -> list[dict[str, str]]:
    """Who a visitor may sign in as: username, display name and reading language."""
    return [
        {k: u[k] for k in ("username", "display_name", "language")} for u in demo_data()["users"]
    ]
