"""Reports, and the operator's instance-wide tools."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
