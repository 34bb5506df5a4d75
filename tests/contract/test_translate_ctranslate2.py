"""The ``ctranslate2`` engine on a real CTranslate2 model: a tiny Transformer built offline
whose weights make it copy its input (see ``ct2_tiny``), so every assertion is exact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from openlink import translate
from openlink.config import Settings
from openlink.domain.glossary import Glossary, GlossaryEntry
from openlink.translate import ctranslate2 as ct2_engine
from openlink.translate.base import EngineError
from openlink.translate.ctranslate2 import CTranslate2Engine, split_sentences
from openlink.translate.pool import TranslationPool
from tests.contract.ct2_tiny import build_copy_model, train_spm

GLOSSARY = Glossary((GlossaryEntry("OpenLink"), GlossaryEntry("Alice", {"ko": "앨리스"})))


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``en-ko`` laid out as Opus-MT ships it; ``en-ja`` as NLLB does (one shared
    SentencePiece model, language tokens in ``openlink.json``, no end token added by the
    model); and two folders that are not pairs."""
    root = tmp_path_factory.mktemp("models")
    spm = train_spm()
    opus = root / "ctranslate2" / "en-ko"
    build_copy_model(opus, spm)
    (opus / "source.spm").write_bytes(spm)
    (opus / "target.spm").write_bytes(spm)

    nllb = root / "ctranslate2" / "en-ja"
    build_copy_model(
        nllb,
        spm,
        extra_tokens=["__en__", "__ja__"],
        add_source_eos=False,
        decoder_start_token="</s>",
    )
    (nllb / "sentencepiece.bpe.model").write_bytes(spm)
    (nllb / "openlink.json").write_text(
        json.dumps({"source_prefix": "__en__", "target_prefix": "__ja__", "beam_size": 3})
    )

    (root / "ctranslate2" / "fr-en").mkdir()  # no model.bin yet
    shutil.copytree(opus, root / "ctranslate2" / "notes")
    return root


@pytest.fixture
def broken(models_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of ``en-ko``, in an engine of its own, to break."""
    folder = tmp_path / "ctranslate2" / "en-ko"
    shutil.copytree(models_dir / "ctranslate2" / "en-ko", folder)
    return folder


def test_pairs_are_the_folders_with_a_model(models_dir: Path, tmp_path: Path) -> None:
    assert CTranslate2Engine(models_dir).pairs() == {("en", "ko"), ("en", "ja")}
    assert CTranslate2Engine(tmp_path / "nothing").pairs() == frozenset()


async def test_translates_in_a_worker_process_with_the_glossary(models_dir: Path) -> None:
    pool = TranslationPool(CTranslate2Engine(models_dir))
    try:
        text = "Alice likes openlink.\n\nSee you at the park today!"
        done = await pool.translate(text, "en", "ko", GLOSSARY)
    finally:
        pool.stop()
    # The term keeps its own spelling; a fixed rendering replaces it.
    assert done.text == "앨리스 likes OpenLink.\n\nSee you at the park today!"
    assert done.calls == 1


@pytest.mark.parametrize("target", ["ko", "ja"])
@pytest.mark.parametrize(
    "text",
    [
        "Hello world.",
        "Good morning (we read books with friends)",
        "Meet me at 10:30, ok?\nSee you soon!\n\n  \nGood night.",
    ],
)
def test_text_round_trips_through_the_model(models_dir: Path, target: str, text: str) -> None:
    # A copy model gives the input back only if the source tokens, the language tokens
    # (en-ja), the end token and the detokenizing are all right.
    translator = CTranslate2Engine(models_dir).open("en", target)
    assert translator.translate(text, Glossary()) == text


def test_sentences_are_joined_the_way_the_target_writes_them(models_dir: Path) -> None:
    engine = CTranslate2Engine(models_dir)
    text = "Hello world. How are you? See you soon!"
    assert engine.open("en", "ko").translate(text, Glossary()) == text
    assert engine.open("en", "ja").translate(text, Glossary()) == (
        "Hello world.How are you?See you soon!"
    )


@pytest.mark.parametrize("pair", [("en", "ko"), ("en", "ja")])
def test_a_long_sentence_is_translated_whole(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, pair: tuple[str, str]
) -> None:
    # The tiny model has 128 positions, so the chunks shrink to match; the sentence takes
    # several of them, which must come back in order with nothing lost at the seams.
    monkeypatch.setattr(ct2_engine, "MAX_SOURCE_PIECES", 40)
    text = " ".join(["we read books with friends and music"] * 12) + "."
    translator = CTranslate2Engine(models_dir).open(*pair)
    assert translator.translate(text, Glossary()) == text


@pytest.mark.parametrize(
    ("line", "sentences"),
    [
        ("Hello world. How are you?", ["Hello world.", "How are you?"]),
        ('He said "hi." Then left', ['He said "hi."', "Then left"]),
        ("It costs 3.50 today... ok", ["It costs 3.50 today...", "ok"]),
        ("今日は晴れ。明日は雨！本当？", ["今日は晴れ。", "明日は雨！", "本当？"]),
        ("안녕하세요. 반가워요!", ["안녕하세요.", "반가워요!"]),
        ("no punctuation at all", ["no punctuation at all"]),
    ],
)
def test_split_sentences(line: str, sentences: list[str]) -> None:
    assert split_sentences(line) == sentences


@pytest.mark.parametrize("name", ["source.spm", "target.spm"])
def test_a_missing_sentencepiece_model_is_named(broken: Path, name: str) -> None:
    (broken / name).unlink()
    engine = CTranslate2Engine(broken.parent.parent)
    with pytest.raises(EngineError, match=rf"en-ko: missing {name}"):
        engine.open("en", "ko")


def test_a_bad_model_is_an_engine_error(broken: Path) -> None:
    (broken / "model.bin").write_bytes(b"\x00not a model" * 64)
    engine = CTranslate2Engine(broken.parent.parent)
    with pytest.raises(EngineError, match="en-ko: the model does not load"):
        engine.open("en", "ko")


def test_a_bad_sentencepiece_model_is_an_engine_error(broken: Path) -> None:
    (broken / "source.spm").write_bytes(b"garbage")
    engine = CTranslate2Engine(broken.parent.parent)
    with pytest.raises(EngineError, match=r"source\.spm: the SentencePiece model does not load"):
        engine.open("en", "ko")


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ("{not json", "not readable JSON"),
        ('{"target_prefix": 3}', "target_prefix must be a token or a list of tokens"),
        ('{"beam_size": 0}', "beam_size must be an integer"),
    ],
)
def test_a_bad_openlink_json_is_an_engine_error(broken: Path, settings: str, error: str) -> None:
    (broken / "openlink.json").write_text(settings)
    engine = CTranslate2Engine(broken.parent.parent)
    with pytest.raises(EngineError, match=error):
        engine.open("en", "ko")


def test_a_pair_that_is_not_installed_is_an_engine_error(models_dir: Path) -> None:
    with pytest.raises(EngineError, match="no ctranslate2 model for en-fr"):
        CTranslate2Engine(models_dir).open("en", "fr")
    with pytest.raises(EngineError, match=r"missing model\.bin"):
        CTranslate2Engine(models_dir).open("fr", "en")


def test_the_registry_builds_it_from_settings(models_dir: Path) -> None:
    settings = Settings(translator="ctranslate2", models_dir=models_dir, ctranslate2_threads=2)
    engine = translate.create(settings)
    assert isinstance(engine, CTranslate2Engine)
    assert (engine.name, engine.execution, engine.threads) == ("ctranslate2", "process", 2)
    assert engine.describe() == {"models_dir": str(models_dir.resolve() / "ctranslate2")}
