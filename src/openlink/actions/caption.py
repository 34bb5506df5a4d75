"""A clip's caption in the reader's own reading language, on demand.

The same rules as a message's on-demand translation (``actions/translation.py``,
decisions/0005): into the caller's own reading language only, every request counted
against ``OPENLINK_TRANSLATIONS_PER_ACCOUNT`` whatever its answer. A caption belongs to
no room, so it is translated as plain text (no glossary) and stored nowhere: captions
are short, and the limit bounds what a reader can cost.
"""

from __future__ import annotations

import logging
from typing import Any

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.actions.translation import check_pair, not_configured, on_demand
from openlink.domain.accounts import User
from openlink.domain.languages import base_language
from openlink.errors import InvalidInput
from openlink.queries.access import access_clip

log = logging.getLogger("openlink.translate")


async def do_translate_caption(
    ctx: Context, user: User, clip_id: str, lang: str | None = None
) -> dict[str, Any]:
    target = base_language(user.language)
    if target is None:
        raise InvalidInput("Say which language to translate into.", code="invalid_language")
    if lang is not None and base_language(lang) != target:
        raise InvalidInput(
            "Translations on demand are into your own reading language only.",
            code="translation_language_not_yours",
        )
    await limits.spend(ctx, limits.TRANSLATIONS, user.id)
    async with ctx.db.read() as conn:
        clip = (await access_clip(conn, user, clip_id)).clip
    if not clip.caption or clip.lang is None:
        raise InvalidInput("This clip has no caption to translate.", code="not_translatable")
    view = {"clip": clip.id, "source_lang": clip.lang, "lang": target}
    if base_language(clip.lang) == target:
        return {**view, "caption": clip.caption, "engine": None}
    if not ctx.translation.configured:
        raise not_configured()
    check_pair(ctx, clip.lang, target)
    text = await on_demand(
        ctx,
        ctx.translation.translate_text(clip.caption, clip.lang, target),
        what="caption",
        source=clip.lang,
        target=target,
    )
    return {**view, "caption": text, "engine": ctx.translation.info().get("engine")}
