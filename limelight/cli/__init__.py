"""Command line. Every failure prints one line to standard error and exits non-zero."""

from __future__ import annotations

import os
import sys

from typer.exceptions import Abort, Exit, TyperException

from limelight.cli import (  # noqa: F401  (importing the modules registers their commands)
    commands,
    demo,
    deploy,
    index,
    insight,
    keys,
    models,
    recommend,
    register,
    score,
)
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
    except Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except Exit as exc:
        return int(exc.exit_code)
    except TyperException as exc:  # usage errors: unknown command, bad option value, …
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"error: {' '.join(message.split())}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


def entrypoint() -> None:
    sys.exit(main())


__all__ = ["app", "entrypoint", "main"]
