"""``openai``: any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, llama.cpp's
server, Ollama...) asked to translate between the operator's languages.

The model reads instructions, so the glossary goes into the system prompt rather than
through placeholders. Calls wait on the network and hold no GIL, so the engine runs in the
pool's shared threads (``execution="thread"``) and one ``httpx.Client`` per engine serves
them all: its connection pool is thread-safe.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any

import httpx

from openlink.config import Settings
from openlink.domain.glossary import Glossary
from openlink.domain.languages import base_language
from openlink.translate.base import EngineError, Execution, Pair

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
# Reasoning models served locally (Qwen3, DeepSeek-R1) may put their thinking in the
# content; it is never part of the translation.
_THINKING = re.compile(r"^\s*<think>.*?</think>", re.DOTALL)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def system_prompt(source: str, target: str, glossary: Glossary, text: str) -> str:
    """The instructions for one call. The codes are spelled out next to the names so that
    the model is not left guessing at an unfamiliar name (and tests can read them)."""
    lines = [
        f"Translate the user's message from {language_name(source)} to "
        f"{language_name(target)} (source: {source}, target: {target}).",
        "Output only the translation, with no notes, quotes or explanations.",
        "Keep the line breaks as they are.",
        "Keep URLs, @mentions and emoji exactly as they are.",
    ]
    entries = glossary.matching(text)
    if entries:
        lines.append("Glossary:")
        for entry in entries:
            term = json.dumps(entry.term, ensure_ascii=False)
            rendering = entry.rendering(target)
            if rendering == entry.term:
                lines.append(f"- keep {term} unchanged")
            else:
                lines.append(f"- translate {term} as {json.dumps(rendering, ensure_ascii=False)}")
    return "\n".join(lines)


class _Client:
    """The engine's lazily built HTTP client. Not part of the engine's value (the field is
    left out of equality and hashing), and it unpickles as a fresh, unbuilt one."""

    __slots__ = ("__weakref__", "_client", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    def get(self, timeout_s: float) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=httpx.Timeout(timeout_s))
                # Closes the sockets when the engine goes away or the interpreter exits,
                # instead of leaving them to the garbage collector's ResourceWarning.
                weakref.finalize(self, self._client.close)
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __reduce__(self) -> tuple[type[_Client], tuple[()]]:
        return (_Client, ())


@dataclass(frozen=True, slots=True)
class OpenAIEngine:
    url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_s: float = 60.0
    languages: tuple[str, ...] = ("en",)
    name: str = "openai"
    execution: Execution = "thread"
    _client: _Client = field(default_factory=_Client, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", normalise_languages(self.languages))

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEngine:
        """The engine ``OPENLINK_OPENAI_*`` describe; :class:`ValueError` naming the
        missing variable when the endpoint or the model is not set."""
        if not settings.openai_url.strip():
            raise ValueError(
                "OPENLINK_TRANSLATOR=openai needs OPENLINK_OPENAI_URL "
                "(the endpoint's base URL, such as http://127.0.0.1:8080/v1)"
            )
        if not settings.openai_model.strip():
            raise ValueError("OPENLINK_TRANSLATOR=openai needs OPENLINK_OPENAI_MODEL")
        return cls(
            url=settings.openai_url.strip(),
            model=settings.openai_model.strip(),
            api_key=settings.openai_api_key.strip(),
            timeout_s=settings.openai_timeout_s,
            languages=tuple(settings.openai_languages),
        )

    def pairs(self) -> frozenset[Pair]:
        """Every ordered pair of two different configured languages."""
        return frozenset(permutations(self.languages, 2))

    def open(self, source: str, target: str) -> _OpenAIPair:
        """Cheap: the HTTP client is shared by every pair and built on first use."""
        return _OpenAIPair(self, source, target)

    def describe(self) -> dict[str, object]:
        return {"url": self.url, "model": self.model, "languages": list(self.languages)}

    def close(self) -> None:
        """Close the HTTP connections; the next call opens new ones."""
        self._client.close()

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/chat/completions"

    def complete(self, system: str, text: str) -> str:
        """One chat completion: the stripped reply, or :class:`EngineError`."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": text},
            ],
        }
        client = self._client.get(self.timeout_s)
        try:
            response = client.post(self.endpoint, json=body, headers=headers)
        except httpx.TimeoutException:
            raise EngineError(
                f"{self.endpoint} did not answer within {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise EngineError(f"{self.endpoint} is unreachable: {self._redact(exc)}") from None
        if not response.is_success:
            raise EngineError(
                f"{self.endpoint} answered {response.status_code}{self._detail(response)}"
            )
        reply = _THINKING.sub("", self._content(response)).strip()
        if not reply:
            raise EngineError(f"{self.endpoint} answered with an empty translation")
        return reply

    def _content(self, response: httpx.Response) -> str:
        try:
            content: Any = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise EngineError(
                f"{self.endpoint} answered {response.status_code} without a text "
                "choices[0].message.content"
            )
        return content

    def _detail(self, response: httpx.Response) -> str:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return ""
        return f": {self._redact(message)[:200]}" if isinstance(message, str) else ""

    def _redact(self, value: object) -> str:
        text = str(value)
        return text.replace(self.api_key, "***") if self.api_key else text


def normalise_languages(tags: Iterable[str]) -> tuple[str, ...]:
    """Primary subtags, in the order given, without duplicates or blanks."""
    seen: dict[str, None] = {}
    for tag in tags:
        lang = base_language(tag.strip())
        if lang:
            seen[lang] = None
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class _OpenAIPair:
    """One pair's translator; thread-safe, since it only reads the engine."""

    engine: OpenAIEngine
    source: str
    target: str

    def translate(self, text: str, glossary: Glossary) -> str:
        if not text.strip():
            return text
        return self.engine.complete(system_prompt(self.source, self.target, glossary, text), text)
