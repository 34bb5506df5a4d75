"""The host bot's rules: what a host may configure, and how questions are matched.

Pure values and checks; ``actions/bot.py`` stores them and posts the bot's messages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openlink.domain.events import iso
from openlink.domain.text import check_no_controls, one_line
from openlink.errors import InvalidInput

MAX_WELCOME_CHARS = 1_000
MAX_ANSWERS = 20
MAX_KEYWORDS = 10
MAX_KEYWORD_CHARS = 40
MAX_ANSWER_CHARS = 1_000
MAX_SCHEDULES = 10
MAX_SCHEDULE_BODY_CHARS = 1_000
INTERVAL_MIN_S = 300
INTERVAL_MAX_S = 30 * 86_400
#: How far ahead a schedule's first post may be set.
FIRST_AT_MAX_AHEAD = timedelta(days=366)
#: One answer is posted at most this often per room, however often it is asked.
ANSWER_COOLDOWN_S = 30
#: What a welcome text may contain to greet the newcomer by name.
NICKNAME_PLACEHOLDER = "{nickname}"


@dataclass(slots=True, frozen=True)
class Answer:
    keywords: tuple[str, ...]
    answer: str

    def view(self) -> dict[str, Any]:
        return {"keywords": list(self.keywords), "answer": self.answer}


@dataclass(slots=True, frozen=True)
class BotConfig:
    """One room's bot as of ``bot_rev``: what joins and messages are checked against."""

    bot_rev: int
    welcome: str | None = None
    answers: tuple[Answer, ...] = ()
    updated_at: datetime | None = None

    def matcher(self) -> list[tuple[int, tuple[str, ...]]]:
        """Each answer's index with its keywords in matching form."""
        return [(i, tuple(fold(k) for k in a.keywords)) for i, a in enumerate(self.answers)]

    def view(self) -> dict[str, Any]:
        return {
            "welcome": self.welcome,
            "answers": [a.view() for a in self.answers],
            "updated_at": iso(self.updated_at),
        }


@dataclass(slots=True, frozen=True)
class Schedule:
    id: str
    room_id: str
    body: str
    interval_s: int
    next_at: datetime
    created_at: datetime

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "interval_s": self.interval_s,
            "next_at": iso(self.next_at),
            "created_at": iso(self.created_at),
        }


def fold(text: str) -> str:
    """Matching form: compatibility forms unified (full-width Ｌ, half-width ｶ, decomposed
    Hangul) and case ignored, so that a keyword matches however a phone typed it."""
    return unicodedata.normalize("NFKC", text).casefold()


def first_match(matcher: list[tuple[int, tuple[str, ...]]], body: str) -> int | None:
    """The index of the first answer one of whose keywords occurs in ``body``.

    Substring matching, not words: Korean, Japanese and Chinese put no spaces between a
    word and its particles ("공지는", "お知らせは")."""
    text = fold(body)
    for index, keywords in matcher:
        if any(k in text for k in keywords):
            return index
    return None


def welcome_body(welcome: str, nickname: str) -> str:
    # A plain replace, not str.format: a host's braces are text, never a template error.
    return welcome.replace(NICKNAME_PLACEHOLDER, nickname)


def check_welcome(raw: str | None) -> str | None:
    """The welcome text, or None (no welcome) for null or blank."""
    if raw is None:
        return None
    text = check_no_controls(raw, "welcome").strip()
    if len(text) > MAX_WELCOME_CHARS:
        raise InvalidInput(
            f"A welcome is at most {MAX_WELCOME_CHARS} characters.", code="invalid_welcome"
        )
    return text or None


def check_answers(raw: list[tuple[list[str], str]]) -> tuple[Answer, ...]:
    if len(raw) > MAX_ANSWERS:
        raise InvalidInput(f"The bot knows at most {MAX_ANSWERS} answers.", code="too_many_answers")
    return tuple(_check_answer(keywords, answer) for keywords, answer in raw)


def _check_answer(keywords: list[str], answer: str) -> Answer:
    if not 1 <= len(keywords) <= MAX_KEYWORDS:
        raise InvalidInput(f"An answer has 1 to {MAX_KEYWORDS} keywords.", code="invalid_keywords")
    checked = [one_line(k, "keyword") for k in keywords]
    if any(not 1 <= len(k) <= MAX_KEYWORD_CHARS for k in checked):
        raise InvalidInput(
            f"A keyword is 1 to {MAX_KEYWORD_CHARS} characters.", code="invalid_keyword"
        )
    text = check_no_controls(answer, "answer").strip()
    if not 1 <= len(text) <= MAX_ANSWER_CHARS:
        raise InvalidInput(
            f"An answer is 1 to {MAX_ANSWER_CHARS} characters.", code="invalid_answer"
        )
    unique: dict[str, str] = {}
    for keyword in checked:  # duplicates in matching form would only cost time
        unique.setdefault(fold(keyword), keyword)
    return Answer(tuple(unique.values()), text)


def check_schedule_body(raw: str) -> str:
    text = check_no_controls(raw, "notice").strip()
    if not 1 <= len(text) <= MAX_SCHEDULE_BODY_CHARS:
        raise InvalidInput(
            f"A scheduled notice is 1 to {MAX_SCHEDULE_BODY_CHARS} characters.",
            code="invalid_schedule_body",
        )
    return text


def check_interval(seconds: int) -> int:
    if not INTERVAL_MIN_S <= seconds <= INTERVAL_MAX_S:
        raise InvalidInput(
            f"A schedule repeats every {INTERVAL_MIN_S} to {INTERVAL_MAX_S} seconds.",
            code="invalid_interval",
            min_s=INTERVAL_MIN_S,
            max_s=INTERVAL_MAX_S,
        )
    return seconds


def check_first_at(first_at: datetime | None, interval_s: int, now: datetime) -> datetime:
    """When a new schedule first posts: ``first_at`` (a past time posts at the next tick),
    or one interval from now."""
    if first_at is None:
        return now + timedelta(seconds=interval_s)
    if first_at.tzinfo is None or first_at.utcoffset() is None:
        raise InvalidInput(
            "first_at needs a time zone (e.g. a trailing Z).", code="invalid_first_at"
        )
    if first_at > now + FIRST_AT_MAX_AHEAD:
        raise InvalidInput(
            f"first_at is at most {FIRST_AT_MAX_AHEAD.days} days ahead.", code="invalid_first_at"
        )
    return first_at


def next_due(next_at: datetime, interval_s: int, now: datetime) -> datetime:
    """The first due time after ``now`` on the schedule's grid: missed intervals (downtime)
    are skipped, never posted in a burst."""
    if next_at > now:
        return next_at
    missed = int((now - next_at).total_seconds() // interval_s) + 1
    return next_at + timedelta(seconds=missed * interval_s)
