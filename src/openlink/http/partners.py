"""Partners and content links: one room per work, embeddable anywhere."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["partners"])
