"""Python client of a Limelight server.

with limelight.Client("http://127.0.0.1:8000") as client:
    client.predict("review-sentiment", text="What a wonderful film")
    client.predict_batch("review-sentiment", [{"text": "Loved it"}, {"text": "Dull"}])
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from limelight.errors import (
    ArtifactIntegrityError,
    Conflict,
    Forbidden,
    InvalidInput,
    LimelightError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
)

_BY_STATUS: dict[int, type[LimelightError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidInput,
    503: ArtifactIntegrityError,
}


class Client:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                message, field = error["message"], error.get("field")
            except (ValueError, KeyError, TypeError):
                message, field = response.text or response.reason_phrase, None
            if response.status_code == 429:
                retry = response.headers.get("retry-after", "1")
                raise RateLimited(
                    f"429: {message}", retry_after=int(retry) if retry.isdigit() else 1
                )
            cls = _BY_STATUS.get(response.status_code, LimelightError)
            raise cls(f"{response.status_code}: {message}", field=field)
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/healthz")

    def ready(self) -> bool:
        return self._http.get("/readyz").status_code == 200

    def models(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/models")

    def model(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/models/{ref}")

    def predict(
        self, ref: str, instance: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """One prediction; pass the input as a dict or as keyword fields (``text=...``)."""
        body = dict(instance or {}, **fields)
        return self._call("POST", f"/v1/models/{ref}/predict", json=body)

    def predict_batch(self, ref: str, instances: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", f"/v1/models/{ref}/predict", json={"instances": instances})
