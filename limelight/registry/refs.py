"""Model references: ``name``, ``name@alias`` and ``name/versions/N``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from limelight.errors import InvalidInput

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_ALIAS = "production"


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference. Exactly one of ``alias`` and ``version`` is set, or neither (latest)."""

    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/versions/{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def validate_name(name: str, what: str = "model name") -> str:
    if not NAME_RE.match(name):
        raise InvalidInput(
            f"invalid {what} {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def validate_alias(alias: str) -> str:
    validate_name(alias, "alias")
    if alias.isdigit():
        raise InvalidInput(
            f"invalid alias {alias!r}: an alias cannot be only digits", field="alias"
        )
    if alias == "latest":
        raise InvalidInput(
            "'latest' is reserved: it always means the newest version", field="alias"
        )
    return alias


def parse_ref(ref: str) -> ModelRef:
    """Parse a reference; ``name`` alone means the ``production`` alias if set, else the latest."""
    ref = ref.strip()
    if "/versions/" in ref:
        name, _, number = ref.partition("/versions/")
        if not number.isdigit() or int(number) < 1:
            raise InvalidInput(
                f"invalid model reference {ref!r}: the version must be a positive integer",
                field="model",
            )
        return ModelRef(validate_name(name), version=int(number))
    if "@" in ref:
        name, _, alias = ref.partition("@")
        validate_name(name)
        if alias == "latest":
            return ModelRef(name, alias="latest")
        if alias.isdigit():
            return ModelRef(name, version=int(alias))
        return ModelRef(name, alias=validate_alias(alias))
    return ModelRef(validate_name(ref))
