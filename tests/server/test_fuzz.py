"""schemathesis against the app's own OpenAPI, in process, with a valid admin key: over a
thousand generated requests (valid and invalid by the schema), no 5xx, every error body in the
documented ``{"error": {"code", "message", "field"?}}`` shape (``{"error": "..."}`` on the KServe
V2 routes, as that protocol specifies)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from limelight.registry import ModelVersion, Registry
from limelight.server.app import create_app
from limelight.settings import Settings

EXAMPLES_PER_OPERATION = 45
MIN_CASES = 1000


def _check_error_shape(body: Any, where: str, path: str) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, where
    error = body["error"]
    if path == "/v2" or path.startswith("/v2/"):  # KServe V2 protocol: {"error": "message"}
        assert isinstance(error, str) and error, where
        return
    assert isinstance(error, dict), where
    assert {"code", "message"} <= set(error) <= {"code", "message", "field"}, where
    assert isinstance(error["code"], str) and error["code"], where
    assert isinstance(error["message"], str) and error["message"], where
    assert isinstance(error.get("field", ""), str), where


@pytest.mark.timeout(900)
def test_fuzz_the_openapi_schema(
    settings: Settings, registry: Registry, tiny_model: ModelVersion
) -> None:
    app = create_app(settings, registry)
    _key, secret = app.state.security.keys.create("fuzz-admin-key", "admin")
    auth = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    calls: list[tuple[str, int]] = []

    rounds: list[tuple[Any, GenerationMode, dict[str, str]]] = []
    for operation in operations:
        rounds += [(operation, mode, {}) for mode in GenerationMode]
        names = {p.name for p in operation.path_parameters} & {"ref", "name"}
        if names and operation.method.upper() != "DELETE":
            # a third round on the real model, so generation reaches past "no such model"
            fixed = {name: "review-sentiment" for name in names}
            rounds.append((operation, GenerationMode.POSITIVE, fixed))

    for operation, mode, fixed in rounds:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(headers=auth)
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            calls.append((case.operation.label, response.status_code))
            assert response.status_code < 500, f"{where}: {response.text[:500]}"
            if response.status_code >= 400:
                _check_error_shape(response.json(), where, case.formatted_path)

        try:
            run()
        except Unsatisfiable:
            # nothing in this operation can be made invalid (e.g. GET /healthz)
            assert mode == GenerationMode.NEGATIVE, operation.label

    statuses = {status for _label, status in calls}
    print(f"{len(calls)} cases over {len(operations)} operations")
    for item, count in sorted(Counter(calls).items()):
        print(f"  {item[0]:<45} {item[1]}: {count}")
    assert len(calls) >= MIN_CASES
    assert 200 in statuses and 422 in statuses  # generation reached both sides
