"""Ranking rules for trending rooms and recommendations: pure arithmetic, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

#: Activity older than this many hours does not count (and is pruned).
WINDOW_H = 48
#: An hour of activity this old counts half as much as the current hour.
HALF_LIFE_H = 6.0
#: A join counts as much as this many distinct writers.
JOIN_WEIGHT = 2.0

INTEREST_WEIGHT = 3.0
#: Shared interests beyond this many add nothing more.
MAX_INTERESTS_COUNTED = 3
LANGUAGE_WEIGHT = 1.5
CO_MEMBER_WEIGHT = 1.0
#: Co-membership is used and named only from this many accounts on: one shared room with
#: one stranger must not tell you where that stranger goes.
MIN_CO_MEMBERS = 2
PRIOR_WEIGHT = 0.25


def hour_bucket(at: datetime) -> int:
    """Hours since the Unix epoch."""
    return int(at.timestamp() // 3600)


def decay_weights(now_bucket: int) -> dict[int, float]:
    """Each hour bucket in the window and its weight: 1 for the current hour, halving
    every ``HALF_LIFE_H`` hours (``exp(-age·ln2 / half-life)``)."""
    return {now_bucket - age: math.exp(-age * math.log(2) / HALF_LIFE_H) for age in range(WINDOW_H)}


def primary_language(tag: str | None) -> str | None:
    """``pt-BR`` → ``pt``: what reading the same language means here."""
    return tag.split("-", 1)[0].lower() if tag else None


@dataclass(slots=True)
class Signals:
    """What one candidate room has in common with the person it may be recommended to."""

    interests: list[str] = field(default_factory=list)
    same_language: bool = False
    co_members: int = 0
    member_count: int = 0
    #: Rows of recent activity (distinct writers and joiners per hour).
    activity: int = 0


def recommendation_score(s: Signals) -> tuple[float, list[str]]:
    """The score and the reasons to show, strongest first."""
    score = PRIOR_WEIGHT * (math.log10(1 + s.member_count) + math.log10(1 + s.activity))
    reasons = []
    if s.interests:
        score += INTEREST_WEIGHT * min(len(s.interests), MAX_INTERESTS_COUNTED)
        reasons += [f"interest:{name}" for name in s.interests]
    if s.same_language:
        score += LANGUAGE_WEIGHT
        reasons.append("language")
    if s.co_members >= MIN_CO_MEMBERS:
        score += CO_MEMBER_WEIGHT * math.log2(1 + s.co_members)
        reasons.append(f"co_members:{s.co_members}")
    return score, reasons or ["popular"]
