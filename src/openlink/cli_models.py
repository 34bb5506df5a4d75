"""``openlink models``: install, list and remove translation model files."""

from __future__ import annotations

import typer

models_app = typer.Typer(help="Translation models in the models folder.", no_args_is_help=True)
