"""What this instance is, for a client's first screen: its name, whether demo accounts
exist to sign in with, and which languages it translates between."""

from __future__ import annotations

from typing import Any

from openlink import __version__
from openlink.actions.context import Context
from openlink.queries.demo import DEMO_PASSWORD, demo_accounts

NAME = "OpenLink"


def instance(ctx: Context) -> dict[str, Any]:
    """The same for every caller; nothing about any account but the demo's, and those
    only when the operator seeded them (``openlink serve --demo``)."""
    demo = ctx.settings.demo
    translation = ctx.translation.info()
    return {
        "name": NAME,
        "version": __version__,
        "demo": demo,
        "demo_accounts": demo_accounts() if demo else [],
        "demo_password": DEMO_PASSWORD if demo else None,
        "translation": {
            "engine": translation["engine"] if translation["configured"] else "none",
            "languages": translation["languages"],
        },
    }
