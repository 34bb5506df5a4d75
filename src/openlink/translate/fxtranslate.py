"""``fxtranslate``: the Firefox Translations (Bergamot) engine, on model files the operator
installed.

Layout: ``<models_dir>/fxtranslate/<src>-<trg>/`` holding the files Firefox publishes
for the pair: ``model.<src><trg>.intgemm.alphas.bin``, ``vocab.<src><trg>.spm`` (or
``srcvocab.*.spm`` and ``trgvocab.*.spm`` for split vocabularies such as en-ja) and
optionally the lexical shortlist ``lex.*.s2t.bin``. ``openlink models add`` puts them there.

The server reads the files and hands their bytes to the engine; it never calls the
package's own loader, which goes to the network first. The engine holds the GIL while it
translates (tens of milliseconds a sentence) and a translator object belongs to the thread
that built it, so each pair runs in a worker process of its own (``execution="process"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openlink.domain.glossary import Glossary, protect, restore
from openlink.translate.base import EngineError, Execution, Pair
from openlink.translate.folders import installed_pairs, pair_folder

ENGINE_DIR = "fxtranslate"


@dataclass(frozen=True, slots=True)
class PairFiles:
    model: Path
    src_vocab: Path
    trg_vocab: Path
    shortlist: Path | None


def pair_files(folder: Path) -> PairFiles:
    """The files of one installed pair; :class:`EngineError` says which one is missing."""

    def one(pattern: str, *, required: bool = True) -> Path | None:
        found = sorted(folder.glob(pattern))
        if not found and required:
            raise EngineError(f"{folder}: no file matches {pattern}")
        return found[0] if found else None

    model = one("model.*.bin")
    shared = one("vocab.*.spm", required=False)
    src_vocab = shared or one("srcvocab.*.spm")
    trg_vocab = shared or one("trgvocab.*.spm")
    assert model is not None and src_vocab is not None and trg_vocab is not None
    return PairFiles(model, src_vocab, trg_vocab, one("lex.*.s2t.bin", required=False))


class _Loaded:
    """One pair's engine, in the worker that built it."""

    __slots__ = ("_engine", "_target")

    def __init__(self, files: PairFiles, target: str) -> None:
        try:
            import fxtranslate
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineError(
                "OPENLINK_TRANSLATOR=fxtranslate needs the 'fxtranslate' package "
                "(pip install 'openlink[fxtranslate]')"
            ) from exc
        src_vocab = files.src_vocab.read_bytes()
        shared = files.trg_vocab == files.src_vocab
        trg_vocab = src_vocab if shared else files.trg_vocab.read_bytes()
        try:
            self._engine = fxtranslate.Translator(
                model=files.model.read_bytes(),
                src_vocab=src_vocab,
                trg_vocab=trg_vocab,
                shortlist=files.shortlist.read_bytes() if files.shortlist else None,
            )
        except ValueError as exc:
            raise EngineError(f"{files.model.parent}: the model does not load: {exc}") from exc
        self._target = target

    def translate(self, text: str, glossary: Glossary) -> str:
        protected, used = protect(text, glossary)
        out: list[str] = []
        # The engine segments sentences itself but wants one paragraph at a time.
        for line in protected.split("\n"):
            out.append(self._engine.translate_long(line) if line.strip() else line)
        return restore("\n".join(out), used, self._target)


@dataclass(frozen=True, slots=True)
class FxTranslateEngine:
    models_dir: Path
    name: str = "fxtranslate"
    execution: Execution = "process"
    _root: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_root", self.models_dir / ENGINE_DIR)

    def pairs(self) -> frozenset[Pair]:
        return installed_pairs(self._root, lambda folder: any(folder.glob("model.*.bin")))

    def open(self, source: str, target: str) -> _Loaded:
        folder = pair_folder(self._root, self.name, source, target)
        return _Loaded(pair_files(folder), target)

    def describe(self) -> dict[str, object]:
        return {"models_dir": str(self._root)}
