"""Catalog filters for recommendations: boolean masks over the model's items."""

from __future__ import annotations

from typing import Any

import numpy as np

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.catalog import Catalog


class FilterIndex:
    """Precomputed masks: tag -> items carrying it; value -> items holding it; numbers as arrays."""

    def __init__(self, catalog: Catalog) -> None:
        self.size = len(catalog.ids)
        self.kinds = catalog.fields()
        self.tags: dict[str, dict[str, np.ndarray]] = {}
        for name, lists in catalog.tags.items():
            index: dict[str, list[int]] = {}
            for i, tags in enumerate(lists):
                for tag in tags:
                    index.setdefault(tag.casefold(), []).append(i)
            self.tags[name] = {t: np.asarray(ix) for t, ix in index.items()}
        self.values: dict[str, dict[str, np.ndarray]] = {}
        for name, values in catalog.values.items():
            groups: dict[str, list[int]] = {}
            for i, value in enumerate(values):
                if value is not None:
                    groups.setdefault(value.casefold(), []).append(i)
            self.values[name] = {v: np.asarray(ix) for v, ix in groups.items()}
        self.numbers = {
            name: np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
            for name, values in catalog.numbers.items()
        }

    def match(self, conditions: dict[str, Any]) -> tuple[np.ndarray, dict[str, list[str]]]:
        """Items meeting every condition — tags match any listed tag, values any listed value,
        numbers ``{"min": a, "max": b}`` (inclusive) or an exact number — and, per tag or value
        field, the listed values no catalog item holds (a typo such as "Sci Fi" for "Sci-Fi"
        matches nothing; the answer says so instead of just being empty)."""
        mask = np.ones(self.size, dtype=bool)
        unknown: dict[str, list[str]] = {}
        for name, condition in conditions.items():
            kind = self.kinds.get(name)
            where = f"filter.{name}"
            if kind is None:
                known = ", ".join(self.kinds) or "none"
                raise InvalidInput(
                    f"unknown filter field {name!r}; the catalog's fields are: {known}",
                    field=where,
                )
            if kind in ("tags", "value"):
                wanted = [condition] if isinstance(condition, str) else condition
                if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
                    raise InvalidInput(f"{where} takes a string or a list of strings", field=where)
                groups = self.tags[name] if kind == "tags" else self.values[name]
                hit = np.zeros(self.size, dtype=bool)
                for value in wanted:
                    found = groups.get(value.casefold())
                    if found is None:
                        unknown.setdefault(name, []).append(value)
                    else:
                        hit[found] = True
                mask &= hit
            else:
                mask &= self._number(name, condition, where)
        return mask, unknown

    def _number(self, name: str, condition: Any, where: str) -> np.ndarray:
        values = self.numbers[name]
        if _is_number(condition):
            return values == float(condition)
        if (
            isinstance(condition, dict)
            and condition
            and set(condition) <= {"min", "max"}
            and all(_is_number(bound) for bound in condition.values())
        ):
            hit = ~np.isnan(values)
            if "min" in condition:
                hit &= values >= float(condition["min"])
            if "max" in condition:
                hit &= values <= float(condition["max"])
            return hit
        raise InvalidInput(
            f'{where} is numeric: give a number or {{"min": a, "max": b}} with numbers a, b',
            field=where,
        )


def _is_number(value: Any) -> bool:
    """A finite JSON number (not a bool, which Python counts as an int)."""
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and bool(np.isfinite(value))
    )
