"""The ``openai`` engine through the engine contract, against a fake OpenAI-compatible
endpoint (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import pickle
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from openlink import translate
from openlink.config import Settings
from openlink.domain.glossary import EMPTY, Glossary, GlossaryEntry
from openlink.translate import pool as pool_module
from openlink.translate.base import EngineError
from openlink.translate.openai import OpenAIEngine
from openlink.translate.pool import TranslationPool
from tests.fakes import HANG, FakeOpenAIServer, fake_openai_server


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as server:
        yield server


def make_engine(url: str, **overrides: Any) -> OpenAIEngine:
    values: dict[str, Any] = dict(
        url=url, model="fake-model", timeout_s=5.0, languages=("en", "pt", "ko")
    )
    values.update(overrides)
    return OpenAIEngine(**values)


@pytest.fixture
def engine(fake: FakeOpenAIServer) -> Iterator[OpenAIEngine]:
    engine = make_engine(fake.url)
    yield engine
    engine.close()


def test_pairs_are_every_ordered_pair_of_distinct_languages() -> None:
    engine = make_engine("http://127.0.0.1:1/v1", languages=("en", "pt-BR", "ko", "PT", " "))
    assert engine.languages == ("en", "pt", "ko")
    assert engine.pairs() == {
        ("en", "pt"), ("pt", "en"), ("en", "ko"), ("ko", "en"), ("pt", "ko"), ("ko", "pt")
    }  # fmt: skip
    assert engine.name == "openai" and engine.execution == "thread"


def test_round_trip_sends_model_prompt_and_text(
    engine: OpenAIEngine, fake: FakeOpenAIServer
) -> None:
    assert engine.open("en", "pt").translate("Good morning", EMPTY) == "Bom dia"
    assert engine.open("pt", "en").translate("Obrigado", EMPTY) == "Thank you"
    assert engine.open("en", "ko").translate("Good morning", EMPTY) == "[ko] Good morning"

    first = fake.requests[0]
    assert first.method == "POST" and first.path == "/v1/chat/completions"
    assert "authorization" not in first.headers
    body = first.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    system, user = (m["content"] for m in body["messages"])
    assert user == "Good morning"
    assert "from English to Portuguese (source: en, target: pt)" in system
    assert "Output only the translation" in system
    assert "line breaks" in system and "URLs, @mentions and emoji" in system
    assert "Glossary" not in system


def test_api_key_goes_in_the_header_and_nowhere_else(fake: FakeOpenAIServer) -> None:
    engine = make_engine(fake.url, api_key="sk-secret-123")
    try:
        engine.open("en", "pt").translate("Good morning", EMPTY)
        assert fake.requests[0].headers["authorization"] == "Bearer sk-secret-123"
        assert "sk-secret-123" not in repr(engine) + repr(engine.describe())

        fake.respond = lambda body: (
            401,
            '{"error": {"message": "Incorrect API key provided: sk-secret-123."}}',
        )
        with pytest.raises(EngineError) as failed:
            engine.open("en", "pt").translate("Good morning", EMPTY)
        assert "401" in str(failed.value) and "Incorrect API key" in str(failed.value)
        assert "sk-secret-123" not in str(failed.value)
    finally:
        engine.close()


def test_describe_names_endpoint_model_and_languages(engine: OpenAIEngine) -> None:
    assert engine.describe() == {
        "url": engine.url,
        "model": "fake-model",
        "languages": ["en", "pt", "ko"],
    }


def test_trailing_slash_and_reply_whitespace(fake: FakeOpenAIServer) -> None:
    fake.respond = lambda body: "  Olá,\nmundo!  \n"
    engine = make_engine(fake.url + "/")
    try:
        assert engine.open("en", "pt").translate("Hello,\nworld!", EMPTY) == "Olá,\nmundo!"
    finally:
        engine.close()
    assert fake.requests[0].path == "/v1/chat/completions"


def test_glossary_matching_terms_reach_the_prompt(
    engine: OpenAIEngine, fake: FakeOpenAIServer
) -> None:
    glossary = Glossary(
        (
            GlossaryEntry("OpenLink"),
            GlossaryEntry("host", {"pt": "anfitrião", "ko": "방장"}),
            GlossaryEntry("Seoul", {"ko": "서울"}),
            GlossaryEntry("moderator", {"pt": "moderador"}),
        )
    )
    engine.open("en", "pt").translate("Our HOST loves OpenLink in Seoul", glossary)
    system = fake.requests[0].body["messages"][0]["content"]
    assert '- keep "OpenLink" unchanged' in system
    assert '- translate "host" as "anfitrião"' in system
    # A rendering for another language only: the term stays as it is in Portuguese.
    assert '- keep "Seoul" unchanged' in system
    assert "moderator" not in system and "방장" not in system


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ((500, '{"error": {"message": "model crashed"}}'), "answered 500: model crashed"),
        ((503, "upstream down"), "answered 503"),
        ((200, "{}"), "without a text choices[0].message.content"),
        ((200, "not json"), "without a text choices[0].message.content"),
        ((200, '{"choices": [{"message": {"content": null}}]}'), "choices[0]"),
        ("   ", "empty translation"),
        ("<think>hmm</think>\n", "empty translation"),
    ],
)
def test_failures_become_engine_errors(
    engine: OpenAIEngine, fake: FakeOpenAIServer, reply: Any, says: str
) -> None:
    fake.respond = lambda body: reply
    with pytest.raises(EngineError, match=rf"/chat/completions .*{re.escape(says)}") as failed:
        engine.open("en", "pt").translate("Good morning", EMPTY)
    assert failed.value.__cause__ is None


def test_a_hanging_endpoint_times_out(fake: FakeOpenAIServer) -> None:
    fake.respond = lambda body: HANG
    engine = make_engine(fake.url, timeout_s=0.2)
    started = time.monotonic()
    try:
        with pytest.raises(EngineError, match=r"did not answer within 0\.2 s"):
            engine.open("en", "pt").translate("Good morning", EMPTY)
    finally:
        engine.close()
    assert time.monotonic() - started < 3


def test_an_unreachable_endpoint_is_an_engine_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = make_engine(f"http://127.0.0.1:{port}/v1")
    try:
        with pytest.raises(EngineError, match="unreachable"):
            engine.open("en", "pt").translate("Good morning", EMPTY)
    finally:
        engine.close()


def test_engine_pickles_without_its_client(engine: OpenAIEngine, fake: FakeOpenAIServer) -> None:
    engine.open("en", "pt").translate("Good morning", EMPTY)  # builds the client
    copy = pickle.loads(pickle.dumps(engine))
    try:
        assert copy == engine and hash(copy) == hash(engine)
        assert copy.open("pt", "en").translate("Bom dia", EMPTY) == "Good morning"
    finally:
        copy.close()


@pytest.fixture
def fresh_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Thread engines run their workers in this process, and the pool caches one translator
    # per pair for the process's life: without this, an earlier test's engine (and its
    # stopped fake server) would answer.
    monkeypatch.setattr(pool_module, "_loaded", {})


async def test_pool_round_trip_through_threads(
    engine: OpenAIEngine, fake: FakeOpenAIServer, fresh_workers: None
) -> None:
    pool = TranslationPool(engine, threads=4)
    try:
        assert pool.configured and pool.can_translate("ko", "pt")
        done = await pool.translate("Thank you", "en", "pt", EMPTY)
        assert (done.text, done.calls) == ("Obrigado", 1)

        texts = [f"message {i}" for i in range(8)]
        results = await asyncio.gather(*(pool.translate(t, "en", "ko", EMPTY) for t in texts))
        assert [r.text for r in results] == [f"[ko] {t}" for t in texts]

        fake.respond = lambda body: (500, '{"error": {"message": "overloaded"}}')
        with pytest.raises(EngineError, match="500"):
            await pool.translate("Thank you", "en", "pt", EMPTY)
        assert pool.stats["failures"] == 1
    finally:
        pool.stop()


def openai_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        translator="openai",
        openai_url="http://127.0.0.1:8080/v1",
        openai_model="qwen2.5-7b-instruct",
        openai_api_key="",
        openai_timeout_s=12.5,
        openai_languages=["pt-BR", "en", "EN", "ja"],
    )
    values.update(overrides)
    return Settings(**values)


def test_from_settings_reads_the_openai_variables() -> None:
    engine = translate.create(openai_settings(openai_api_key="sk-x"))
    assert isinstance(engine, OpenAIEngine)
    assert engine.url == "http://127.0.0.1:8080/v1" and engine.model == "qwen2.5-7b-instruct"
    assert engine.api_key == "sk-x" and engine.timeout_s == 12.5
    assert engine.languages == ("pt", "en", "ja") and len(engine.pairs()) == 6


@pytest.mark.parametrize(
    ("missing", "variable"),
    [("openai_url", "OPENLINK_OPENAI_URL"), ("openai_model", "OPENLINK_OPENAI_MODEL")],
)
def test_from_settings_names_a_missing_variable(missing: str, variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        OpenAIEngine.from_settings(openai_settings(**{missing: "  "}))
