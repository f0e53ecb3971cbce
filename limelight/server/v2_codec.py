"""Tensors of the KServe V2 Open Inference Protocol <-> a task's inputs and outputs.

A model's tensors come from the input and output JSON schemas in its manifest, so every task
with flat inputs gets V2 for free: a ``string`` field is a BYTES tensor, ``integer`` INT64,
``number`` FP32, ``boolean`` BOOL, each of shape ``[batch]`` (``[batch, 1]`` is accepted too).
A field that is an object of scalars (the tabular tasks' ``{"features": {...}}``) is one tensor
per column, named after the column; a column of several types (``string`` or ``integer`` for a
category) is declared with the first and accepts the others. On the way out a label is BYTES
``[batch]``, a label -> score map is FP32 ``[batch, labels]`` (``scores`` is sent as
``probabilities``, labels in manifest order, listed in the metadata) and a vector is FP32
``[batch, dimension]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from limelight.errors import InvalidInput

_IN_TYPES = {"string": "BYTES", "integer": "INT64", "number": "FP32", "boolean": "BOOL"}
_ACCEPTED = {
    "BYTES": ("BYTES",),
    "INT64": ("INT64", "INT32", "INT16", "INT8", "UINT8", "UINT16", "UINT32", "UINT64"),
    "FP32": ("FP32", "FP64", "FP16", "INT64", "INT32"),
    "BOOL": ("BOOL",),
}
_RENAMED = {"scores": "probabilities"}


class V2Unsupported(InvalidInput):
    code = "v2_unsupported"


@dataclass(frozen=True)
class Tensor:
    name: str
    datatype: str
    shape: list[int]
    source: str  # the task field it comes from or goes to
    kind: str = "scalar"  # scalar | map | vector
    accepts: tuple[str, ...] = ()  # inputs: the datatypes a request may send
    parent: str | None = None  # inputs: the object field holding it (tabular: "features")
    required: bool = True  # inputs: whether a request must send it

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": self.shape}


@dataclass(frozen=True)
class Signature:
    inputs: list[Tensor]
    outputs: list[Tensor]
    labels: list[str]


def _resolve(root: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with a local ``$ref`` (``#/$defs/Name``, as pydantic writes) followed."""
    ref = spec.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return spec
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, dict) else None
    return target if isinstance(target, dict) else spec


def _scalar_types(spec: dict[str, Any]) -> list[str]:
    """The JSON types a field may take, null left out: ``type`` (one or a list) or ``anyOf``."""
    declared: Any = spec.get("type")
    if declared is None and isinstance(spec.get("anyOf"), list):
        declared = [member.get("type") for member in spec["anyOf"] if isinstance(member, dict)]
    types = declared if isinstance(declared, list) else [declared]
    return [str(t) for t in types if t != "null"]


def _input_tensor(
    model: str, name: str, spec: dict[str, Any], parent: str | None, required: bool
) -> Tensor:
    types = _scalar_types(spec)
    if not types or any(t not in _IN_TYPES for t in types):
        raise V2Unsupported(f"{model}: input {name!r} is not a scalar, so V2 cannot carry it")
    accepts = tuple(dict.fromkeys(d for t in types for d in _ACCEPTED[_IN_TYPES[t]]))
    datatype = _IN_TYPES[types[0]]
    return Tensor(name, datatype, [-1], name, accepts=accepts, parent=parent, required=required)


def _input_tensors(model: str, schema: dict[str, Any]) -> list[Tensor]:
    tensors = []
    required = set(schema.get("required") or ())
    for field, raw in (schema.get("properties") or {}).items():
        spec = _resolve(schema, raw)
        columns = spec.get("properties") if spec.get("type") == "object" else None
        if isinstance(columns, dict) and columns:  # {"features": {...}}: a tensor per column
            inner = set(spec.get("required") or ())
            tensors += [
                _input_tensor(model, column, _resolve(schema, sub), field, column in inner)
                for column, sub in columns.items()
            ]
        else:
            tensors.append(_input_tensor(model, field, spec, None, field in required))
    names = [t.name for t in tensors]
    if len(set(names)) != len(names):
        raise V2Unsupported(f"{model}: two inputs share a name, so V2 cannot tell them apart")
    return tensors


def signature(manifest: dict[str, Any]) -> Signature:
    """The V2 tensors of a model version, from its manifest; V2Unsupported if it has none."""
    name = manifest.get("name", "this model")
    inputs = _input_tensors(name, manifest.get("input_schema") or {})
    out_schema = manifest.get("output_schema") or {}
    labels = [str(x) for x in (manifest.get("data") or {}).get("labels") or []]
    dimension = (manifest.get("metrics") or {}).get("dimension")
    outputs = []
    for field, spec in (out_schema.get("properties") or {}).items():
        kind = spec.get("type", "")
        if kind in _IN_TYPES:
            outputs.append(Tensor(field, _IN_TYPES[kind], [-1], field))
        elif kind == "object" and (spec.get("additionalProperties") or {}).get("type") == "number":
            width = len(labels) or -1
            outputs.append(Tensor(_RENAMED.get(field, field), "FP32", [-1, width], field, "map"))
        elif kind == "array" and (spec.get("items") or {}).get("type") == "number":
            width = int(dimension) if isinstance(dimension, int) else -1
            outputs.append(Tensor(field, "FP32", [-1, width], field, "vector"))
        else:
            raise V2Unsupported(f"{name}: output {field!r} has no V2 tensor form")
    if not inputs or not outputs:
        raise V2Unsupported(f"{name} declares no input or output schema for V2")
    return Signature(inputs, outputs, labels)


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    flat: list[Any] = []
    for item in data:
        flat.extend(_flatten(item))
    return flat


def decode_inputs(sig: Signature, body: Any) -> list[dict[str, Any]]:
    """The request's tensors as one raw instance per row (validated later by the task)."""
    if not isinstance(body, dict):
        raise InvalidInput("the inference request must be a JSON object with inputs")
    tensors = body.get("inputs")
    if not isinstance(tensors, list) or not tensors:
        raise InvalidInput("inputs must be a non-empty list of tensors", field="inputs")
    expected = {t.name: t for t in sig.inputs}
    columns: dict[str, list[Any]] = {}
    rows: int | None = None
    for i, tensor in enumerate(tensors):
        where = f"inputs[{i}]"
        if not isinstance(tensor, dict):
            raise InvalidInput(f"{where} must be an object", field=where)
        name = tensor.get("name")
        if not isinstance(name, str) or name not in expected:
            raise InvalidInput(
                f"{where}: unknown input {name!r}; this model takes {', '.join(expected)}",
                field=where,
            )
        if name in columns:
            raise InvalidInput(f"input {name!r} is sent twice", field=where)
        spec = expected[name]
        datatype = tensor.get("datatype")
        if not isinstance(datatype, str) or datatype not in spec.accepts:
            also = [d for d in spec.accepts if d != spec.datatype]
            raise InvalidInput(
                f"input {name!r} must be {spec.datatype}"
                + (f" (or {', '.join(also)})" if also else "")
                + f", not {datatype!r}",
                field=name,
            )
        parameters = tensor.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise InvalidInput(f"input {name!r}: parameters must be an object", field=name)
        if "binary_data_size" in (parameters or {}):
            raise InvalidInput(
                f"input {name!r} uses binary tensor data; send JSON data (binary_data=False)",
                field=name,
            )
        shape = tensor.get("shape")
        if (
            not isinstance(shape, list)
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            or len(shape) > 2
            or (len(shape) == 2 and shape[1] != 1)
        ):
            raise InvalidInput(
                f"input {name!r}: shape must be [batch] or [batch, 1], got {shape!r}", field=name
            )
        data = _flatten(tensor.get("data"))
        if len(data) != math.prod(shape):
            raise InvalidInput(
                f"input {name!r}: shape {shape} holds {math.prod(shape)} values but data has "
                f"{len(data)}",
                field=name,
            )
        if rows is not None and shape[0] != rows:
            raise InvalidInput("every input must have the same batch size", field=name)
        rows = shape[0]
        columns[name] = [_cast(v, spec.datatype) for v in data]
    missing = [t.name for t in sig.inputs if t.required and t.name not in columns]
    if missing:
        raise InvalidInput(f"missing input {missing[0]!r}", field=missing[0])
    if not rows:
        raise InvalidInput("the batch is empty", field="inputs")
    instances: list[dict[str, Any]] = [{} for _ in range(rows)]
    for tensor in (t for t in sig.inputs if t.name in columns):
        for instance, value in zip(instances, columns[tensor.name], strict=True):
            holder = instance.setdefault(tensor.parent, {}) if tensor.parent else instance
            holder[tensor.source] = value
    return instances


def _cast(value: Any, datatype: str) -> Any:
    if datatype == "FP32" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def requested_outputs(sig: Signature, body: dict[str, Any]) -> list[Tensor]:
    wanted = body.get("outputs")
    if wanted is None:
        return sig.outputs
    by_name = {t.name: t for t in sig.outputs}
    if not isinstance(wanted, list):
        raise InvalidInput("outputs must be a list of {name}", field="outputs")
    chosen = []
    for item in wanted:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name not in by_name:
            raise InvalidInput(
                f"unknown output {name!r}; this model has {', '.join(by_name)}", field="outputs"
            )
        chosen.append(by_name[name])
    return chosen


def encode_outputs(
    sig: Signature, tensors: list[Tensor], predictions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    n = len(predictions)
    for t in tensors:
        values = [p[t.source] for p in predictions]
        if t.kind == "map":
            labels = sig.labels or (sorted(values[0]) if values else [])
            data = [float(row[label]) for row in values for label in labels]
            shape = [n, len(labels)]
        elif t.kind == "vector":
            data = [float(x) for row in values for x in row]
            shape = [n, len(values[0]) if values else 0]
        else:
            data = values
            shape = [n]
        out.append({"name": t.name, "datatype": t.datatype, "shape": shape, "data": data})
    return out
