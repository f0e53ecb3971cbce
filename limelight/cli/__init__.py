"""Command line. Every failure prints one line to standard error and exits non-zero."""

from __future__ import annotations

import os
import sys

import click

from limelight.cli import commands, demo, index, models, register  # noqa: F401  (registers the commands)  # noqa: F401
from limelight.cli.app import app
from limelight.errors import LimelightError


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app(args=argv, standalone_mode=False, prog_name="limelight")
    except LimelightError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except click.exceptions.Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except click.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code or 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


def entrypoint() -> None:
    sys.exit(main())


__all__ = ["app", "entrypoint", "main"]
