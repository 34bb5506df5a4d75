"""The host bot: welcome message, keyword answers, scheduled notices."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["bot"])
