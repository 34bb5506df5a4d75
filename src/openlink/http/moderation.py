"""Moderation: co-hosts, notices, hiding, kicks, bans, time-outs, the audit log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["moderation"])
