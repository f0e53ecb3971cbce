"""Per-model batching settings: built-in defaults, then a config file, then CLI flags.

The config file is TOML (``limelight serve --batch-config FILE`` or ``LIMELIGHT_BATCH_CONFIG``)::

    [defaults]                  # every model
    max_batch_size = 64
    max_wait_ms = 0
    max_queue = 1024
    timeout_s = 30

    [models.review-sentiment]   # one model (all its versions)
    max_batch_size = 32
    max_wait_ms = 2

Precedence, lowest first: the built-in defaults of :class:`BatchSettings`, the file's
``[defaults]``, the ``limelight serve`` flags (``--max-batch-size`` …, or ``LIMELIGHT_BATCH_*``),
and the file's ``[models.NAME]`` table for that model.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from limelight.errors import InvalidInput
from limelight.runtime.batcher import BatchSettings
from limelight.settings import Settings

FIELDS = tuple(f.name for f in dataclasses.fields(BatchSettings))


def _apply(base: BatchSettings, values: Mapping[str, Any], where: str) -> BatchSettings:
    unknown = [k for k in values if k not in FIELDS]
    if unknown:
        raise InvalidInput(
            f"{where}: unknown batching setting {unknown[0]!r} (known: {', '.join(FIELDS)})",
            field=unknown[0],
        )
    for key, value in values.items():
        expected = (
            int if key in ("max_batch_size", "max_queue", "max_concurrent_batches") else float
        )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (expected is int and not isinstance(value, int))
        ):
            raise InvalidInput(f"{where}: {key} must be a number, got {value!r}", field=key)
    try:
        return dataclasses.replace(base, **values)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}", field=exc.field) from exc


class BatchConfig:
    """Resolves the :class:`BatchSettings` of each model by name."""

    def __init__(
        self,
        defaults: BatchSettings | None = None,
        models: Mapping[str, BatchSettings] | None = None,
    ) -> None:
        self.defaults = defaults or BatchSettings()
        self.models = dict(models or {})

    def for_model(self, name: str) -> BatchSettings:
        return self.models.get(name, self.defaults)

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchConfig:
        file: dict[str, Any] = {}
        if settings.batch_config is not None:
            file = read_file(settings.batch_config)
        where = str(settings.batch_config)
        defaults = _apply(BatchSettings(), file.get("defaults", {}), f"{where} [defaults]")
        flags = {
            "max_batch_size": settings.batch_max_size,
            "max_wait_ms": settings.batch_max_wait_ms,
            "max_queue": settings.batch_max_queue,
            "timeout_s": settings.predict_timeout_s,
        }
        defaults = _apply(defaults, {k: v for k, v in flags.items() if v is not None}, "flags")
        models = {
            name: _apply(defaults, values, f"{where} [models.{name}]")
            for name, values in file.get("models", {}).items()
        }
        return cls(defaults, models)


def read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"batch config {path} does not exist", field="batch_config") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"batch config {path} is not valid TOML: {exc}", field="batch_config"
        ) from exc
    extra = [k for k in data if k not in ("defaults", "models")]
    if extra:
        raise InvalidInput(
            f"batch config {path}: unknown table [{extra[0]}] (use [defaults] and [models.NAME])",
            field="batch_config",
        )
    tables = [data.get("defaults", {}), *data.get("models", {}).values()]
    if not all(isinstance(t, dict) for t in tables):
        raise InvalidInput(f"batch config {path}: settings must be tables", field="batch_config")
    return data
