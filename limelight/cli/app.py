"""Typer application object and shared options."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from limelight.registry import Registry
from limelight.settings import Settings

app = typer.Typer(
    name="limelight",
    help="Limelight: train, register, deploy and call models for entertainment products.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    home: Path | None = typer.Option(
        None,
        "--home",
        help="State folder (registry + artifacts); default $LIMELIGHT_HOME or ~/.limelight.",
    ),
) -> None:
    if home is not None:
        os.environ["LIMELIGHT_HOME"] = str(home.expanduser().resolve())


def settings() -> Settings:
    return Settings()


def registry() -> Registry:
    """The registry, after removing staging folders that killed training runs left behind."""
    reg = Registry.from_settings(settings())
    reg.artifacts.clean_staging()
    return reg
