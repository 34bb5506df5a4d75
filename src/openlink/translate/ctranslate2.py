"""``ctranslate2``: Opus-MT, M2M100 and NLLB models converted to CTranslate2, on files the
operator installed.

Layout: ``<models_dir>/ctranslate2/<src>-<trg>/`` holding what the CTranslate2 converters
write (``model.bin``, ``config.json``, the vocabulary files) plus the pair's SentencePiece
models: ``source.spm`` and ``target.spm`` as Opus-MT ships them, or one shared
``sentencepiece.bpe.model`` (or ``spm.model``) as NLLB and M2M100 do.

Multilingual models need language tokens, which an optional ``openlink.json`` in the pair
folder gives, with the beam size::

    {"source_prefix": "eng_Latn", "target_prefix": "kor_Hang", "beam_size": 4}

``target_prefix`` (M2M100 ``__ko__``, NLLB ``kor_Hang``) is forced as the first target
token and dropped from the output; ``source_prefix`` (M2M100 ``__en__``, NLLB
``eng_Latn``) goes before the source tokens. Either may be a list of tokens. ``beam_size``
defaults to 2. When ``config.json`` does not have the model add the end token to the
source itself (models from the Hugging Face converter), the engine adds it.

The files are read directly: SentencePiece for tokens, our own splitter for sentences,
nothing that goes to the network. CTranslate2 releases the GIL but keeps the CPU busy, so
each pair runs in a worker process of its own that the pool renices (``execution=
"process"``); ``threads`` is the number of threads each of those uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openlink.domain.glossary import Glossary, protect, restore
from openlink.translate.base import EngineError, Execution, Pair
from openlink.translate.folders import installed_pairs, pair_folder

ENGINE_DIR = "ctranslate2"
SETTINGS_FILE = "openlink.json"
SHARED_SPM = ("sentencepiece.bpe.model", "spm.model")
# A sentence runs to . ! ? … (then closing quotes or brackets) before a space or the end,
# or to 。！？, which need no space after them.
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’»)\]]*(?=\s|$)|[。！？]+[」』”’）)]*|$)")
# Targets written without spaces between sentences.
_UNSPACED = frozenset({"ja", "zh"})
#: Longest source chunk, in pieces: a longer sentence goes in several. Decoding stops at
#: twice the chunk plus 10, which keeps positions under the 512 Opus-MT models have.
MAX_SOURCE_PIECES = 200


def split_sentences(line: str) -> list[str]:
    """The sentences of one line, without the spaces between them."""
    return _SENTENCE.findall(line)


@dataclass(frozen=True, slots=True)
class PairFiles:
    folder: Path
    source_spm: Path
    target_spm: Path


def pair_files(folder: Path) -> PairFiles:
    """The files of one installed pair; :class:`EngineError` names the one missing."""
    if not (folder / "model.bin").is_file():
        raise EngineError(f"{folder}: missing model.bin (convert the model with ct2-*-converter)")
    source, target = folder / "source.spm", folder / "target.spm"
    if source.is_file() and target.is_file():
        return PairFiles(folder, source, target)
    shared = next((folder / n for n in SHARED_SPM if (folder / n).is_file()), None)
    if shared is not None:
        return PairFiles(folder, shared, shared)
    missing = target.name if source.is_file() else source.name
    others = " or ".join(SHARED_SPM)
    raise EngineError(f"{folder}: missing {missing} (or a shared {others})")


@dataclass(frozen=True, slots=True)
class PairSettings:
    source_prefix: list[str] = field(default_factory=list)
    target_prefix: list[str] = field(default_factory=list)
    beam_size: int = 2
    #: Tokens after the source pieces: the end token, unless the model adds it itself.
    source_suffix: list[str] = field(default_factory=lambda: ["</s>"])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise EngineError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EngineError(f"{path}: expected a JSON object")
    return data


def _tokens(path: Path, data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    tokens = [value] if isinstance(value, str) else value
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise EngineError(f"{path}: {key} must be a token or a list of tokens")
    return tokens


def pair_settings(folder: Path) -> PairSettings:
    """The pair's ``openlink.json`` choices, and what its ``config.json`` implies."""
    path = folder / SETTINGS_FILE
    ours = _read_json(path)
    beam_size = ours.get("beam_size", 2)
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or not 1 <= beam_size <= 8:
        raise EngineError(f"{path}: beam_size must be an integer from 1 to 8")
    model = _read_json(folder / "config.json")
    eos = model.get("eos_token") or "</s>"
    return PairSettings(
        source_prefix=_tokens(path, ours, "source_prefix"),
        target_prefix=_tokens(path, ours, "target_prefix"),
        beam_size=beam_size,
        source_suffix=[] if model.get("add_source_eos") else [str(eos)],
    )


def _load_spm(spm: Any, path: Path) -> Any:
    try:
        return spm.SentencePieceProcessor(model_file=str(path))
    except (RuntimeError, OSError) as exc:
        raise EngineError(f"{path}: the SentencePiece model does not load: {exc}") from exc


class _Loaded:
    """One pair's translator and tokenizers, in the worker that built them."""

    __slots__ = ("_joiner", "_settings", "_source", "_target", "_target_lang", "_translator")

    def __init__(self, files: PairFiles, settings: PairSettings, target: str, threads: int) -> None:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineError(
                "OPENLINK_TRANSLATOR=ctranslate2 needs the 'ctranslate2' and 'sentencepiece' "
                "packages (pip install 'openlink[ctranslate2]')"
            ) from exc
        self._source = _load_spm(sentencepiece, files.source_spm)
        self._target = (
            self._source
            if files.target_spm == files.source_spm
            else _load_spm(sentencepiece, files.target_spm)
        )
        try:
            self._translator = ctranslate2.Translator(
                str(files.folder), device="cpu", inter_threads=1, intra_threads=threads
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineError(f"{files.folder}: the model does not load: {exc}") from exc
        self._settings = settings
        self._target_lang = target
        self._joiner = "" if target in _UNSPACED else " "

    def translate(self, text: str, glossary: Glossary) -> str:
        protected, used = protect(text, glossary)
        lines = [self._line(line) if line.strip() else line for line in protected.split("\n")]
        return restore("\n".join(lines), used, self._target_lang)

    def _line(self, line: str) -> str:
        """One paragraph: all its sentences in one batch, long ones in chunks."""
        s = self._settings
        sentences = split_sentences(line)
        chunks: list[list[str]] = []
        owners: list[int] = []
        for i, sentence in enumerate(sentences):
            pieces = self._source.encode(sentence, out_type=str)
            for start in range(0, len(pieces), MAX_SOURCE_PIECES):
                chunk = pieces[start : start + MAX_SOURCE_PIECES]
                chunks.append(s.source_prefix + chunk + s.source_suffix)
                owners.append(i)
        if not chunks:
            return line
        longest = max(len(c) for c in chunks)
        try:
            results = self._translator.translate_batch(
                chunks,
                target_prefix=[s.target_prefix] * len(chunks) if s.target_prefix else None,
                beam_size=s.beam_size,
                max_decoding_length=2 * longest + 10,
            )
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"ctranslate2 failed: {exc}") from exc
        out: list[list[str]] = [[] for _ in sentences]
        n = len(s.target_prefix)
        for i, result in zip(owners, results, strict=True):
            tokens: list[str] = result.hypotheses[0]
            out[i].extend(tokens[n:] if tokens[:n] == s.target_prefix else tokens)
        decoded = (self._target.decode(pieces) for pieces in out)
        return self._joiner.join(d for d in decoded if d)


@dataclass(frozen=True, slots=True)
class CTranslate2Engine:
    models_dir: Path
    threads: int = 1
    name: str = "ctranslate2"
    execution: Execution = "process"
    _root: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_root", self.models_dir / ENGINE_DIR)

    def pairs(self) -> frozenset[Pair]:
        return installed_pairs(self._root, lambda folder: (folder / "model.bin").is_file())

    def open(self, source: str, target: str) -> _Loaded:
        folder = pair_folder(self._root, self.name, source, target)
        return _Loaded(pair_files(folder), pair_settings(folder), target, self.threads)

    def describe(self) -> dict[str, object]:
        return {"models_dir": str(self._root)}
