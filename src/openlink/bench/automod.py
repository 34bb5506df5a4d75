"""``openlink bench fanout --automod``: the room screens every message against a full set
of rules, so that a run shows what automod costs on the send path.

The host installs ``KEYWORD_RULES`` keyword rules of ``KEYWORDS_PER_RULE`` distinct
keywords each and one rule of ``REGEXES``, through the HTTP API, exempting nobody. None of
them matches the bench's own messages (checked here before the run, with the server's own
matcher), so every message is still delivered; one blocked warm-up send makes the server
compile the rules before the measured phase.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from openlink.domain.automod import AutomodAction, Rule, RuleKind, compile_rules
from openlink.domain.permissions import Role

KEYWORD_RULES = 6
KEYWORDS_PER_RULE = 1_000
#: Spam a room would really screen for: short links, invites, contact details, floods.
REGEXES = (
    r"(?i)\b(?:bit\.ly|tinyurl\.com|goo\.gl|is\.gd|ow\.ly|cutt\.ly|rb\.gy|t\.co)/\w+",
    r"(?i)\bdiscord(?:\.gg|app\.com/invite)/\w+",
    r"(?i)\bt\.me/\w+",
    r"\+?\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{4}",
    r"(?i)(?:a{6,}|e{6,}|o{6,}|!{6,}|\?{6,}|ㅋ{10,})",
    r"(?i)\b(?:whatsapp|telegram|kakao(?:talk)?|line)\s*(?:id)?\s*[:：]\s*\w+",
    r"(?i)\bfree\s+(?:nitro|robux|v-?bucks|crypto)\b",
    r"(?i)\b(?:earn|make)\s+\$?\d+[k]?\s+(?:a|per)\s+(?:day|week)\b",
    r"\b(?:bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,39}\b",
    r"(?i)\b0x[0-9a-f]{40}\b",
)
_HANGUL = "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허"


def bench_keywords(seed: int, bodies_words: set[str]) -> list[str]:
    """``KEYWORDS_PER_RULE`` distinct made-up words: mostly Latin, one in ten a wildcard
    prefix, one in ten Hangul; none equal to, or a prefix of, a word of the bench bodies."""
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < KEYWORDS_PER_RULE:
        if len(out) % 10 == 3:
            out.add("".join(rng.choices(_HANGUL, k=rng.randint(3, 5))))
            continue
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(6, 12)))
        if any(b.startswith(word) for b in bodies_words):
            continue
        out.add(word + "*" if len(out) % 10 == 7 else word)
    return sorted(out)


def bench_rules(sample_bodies: list[str]) -> list[dict[str, Any]]:
    words = {w for body in sample_bodies for w in body.casefold().split()}
    rules: list[dict[str, Any]] = [
        {
            "name": f"bench keywords {i + 1}",
            "kind": "keyword",
            "patterns": bench_keywords(i, words),
            "action": "block",
            "exempt_roles": [],
        }
        for i in range(KEYWORD_RULES)
    ]
    rules.append(
        {
            "name": "bench spam patterns",
            "kind": "regex",
            "patterns": list(REGEXES),
            "action": "hide",
            "exempt_roles": [],
        }
    )
    _check_no_match(rules, sample_bodies)
    return rules


def _check_no_match(rules: list[dict[str, Any]], bodies: list[str]) -> None:
    now = datetime.now(UTC)
    matcher = compile_rules(
        Rule(
            id=str(i),
            room_id="bench",
            name=r["name"],
            kind=RuleKind(r["kind"]),
            patterns=tuple(r["patterns"]),
            action=AutomodAction(r["action"]),
            timeout_s=None,
            exempt_roles=frozenset(),
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        for i, r in enumerate(rules)
    )
    for body in bodies:
        hit = matcher.match(body, Role.MEMBER)
        if hit is not None:
            raise RuntimeError(f"the bench rule {hit.name!r} matches a bench message: {body!r}")


async def install(
    http: httpx.AsyncClient, room_id: str, host_token: str, sample_bodies: list[str]
) -> dict[str, int]:
    """Install the rules as the host; returns the counts for the result line."""
    headers = {"Authorization": f"Bearer {host_token}"}
    rules = bench_rules(sample_bodies)
    for rule in rules:
        r = await http.post(f"/api/rooms/{room_id}/automod/rules", json=rule, headers=headers)
        if r.status_code != 201:
            raise RuntimeError(f"installing an automod rule failed: {r.status_code} {r.text[:300]}")
    # Refused by automod, so nothing is stored, but the server compiles the rules now.
    warm = {"client_id": uuid.uuid4().hex, "body": f"warm up {rules[0]['patterns'][0]}"}
    r = await http.post(f"/api/rooms/{room_id}/messages", json=warm, headers=headers)
    if r.status_code != 403 or r.json()["error"]["code"] != "automod_blocked":
        raise RuntimeError(f"the automod warm-up was not blocked: {r.status_code} {r.text[:300]}")
    return {
        "automod_rules": len(rules),
        "automod_keywords": sum(len(r["patterns"]) for r in rules if r["kind"] == "keyword"),
        "automod_regexes": len(REGEXES),
    }
