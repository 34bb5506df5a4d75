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
#: An interest that rooms often carry together with one of yours ("related").
RELATED_WEIGHT = 1.0
#: Related interests beyond this many add nothing more.
MAX_RELATED_COUNTED = 2
#: Two interests are related once at least this many listed rooms carry both.
MIN_RELATED_ROOMS = 2
#: At most this many related interests are looked for.
MAX_RELATED = 5
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
    """What one candidate room has in common with the person it may be recommended to.

    Only the person's own interests and language, the room's tags and its public size and
    activity: nothing that depends on who else is in which room, so no account's joins and
    leaves can steer what one person is shown (docs/decisions/0005, "Discovery")."""

    interests: list[str] = field(default_factory=list)
    #: Interests the room carries that often come with one of the person's own.
    related: list[str] = field(default_factory=list)
    same_language: bool = False
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
    if s.related:
        score += RELATED_WEIGHT * min(len(s.related), MAX_RELATED_COUNTED)
        reasons += [f"related:{name}" for name in s.related]
    return score, reasons or ["popular"]
