"""A clip's caption in the reader's own reading language, on demand.

The same rules as a message's on-demand translation (``actions/translation.py``,
decisions/0005): into the caller's own reading language only, every request counted
against ``OPENLINK_TRANSLATIONS_PER_ACCOUNT`` whatever its answer. A caption belongs to
no room, so it is translated as plain text (no glossary) and stored nowhere: captions
are short, and the limit bounds what a reader can cost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.actions.translation import not_configured
from openlink.domain.accounts import User
from openlink.domain.languages import base_language
from openlink.errors import InvalidInput, RateLimited, UpstreamFailed
from openlink.queries.access import access_clip
from openlink.translate.base import EngineError
from openlink.translate.pool import Shed, Unreachable

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
    if not ctx.translation.can_translate(clip.lang, target):
        raise InvalidInput(
            f"This server cannot translate from {clip.lang} to {target}.",
            code="unsupported_language_pair",
        )
    try:
        text = await asyncio.wait_for(
            ctx.translation.translate_text(clip.caption, clip.lang, target),
            ctx.settings.translate_timeout_s,
        )
    except (Shed, TimeoutError):
        raise RateLimited(
            "The translation engine is busy; try again in a moment.",
            retry_after_s=1.0,
            code="translation_busy",
        ) from None
    except (EngineError, Unreachable) as exc:
        log.warning("caption %s->%s failed: %s", clip.lang, target, exc)
        raise UpstreamFailed(
            "The translation engine could not translate this caption; try again later.",
            code="translation_failed",
        ) from None
    return {**view, "caption": text, "engine": ctx.translation.info().get("engine")}
