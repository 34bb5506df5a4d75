"""Helpers for the tests of ``openlink models``: a models folder of the test's own, the
command, and the shape of a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from openlink.cli import app


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENLINK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENLINK_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models" / "fxtranslate"


def openlink(*args: str) -> Result:
    return CliRunner().invoke(app, ["models", *args])


def refused(result: Result, reason: str) -> None:
    """Exit 1 with a one-line reason last on stderr, and no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and reason in last, result.stderr
