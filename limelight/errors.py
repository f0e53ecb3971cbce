"""One error hierarchy for the whole package, rendered once by the server and once by the CLI.

    LimelightError                      500 internal_error
    ├── InvalidInput                    422 invalid_input        (a request or argument is wrong)
    │   ├── DataError                   422 invalid_data         (a data file cannot be used)
    │   └── PayloadTooLarge             413 payload_too_large    (over a configured limit)
    ├── Unauthorized                    401 unauthorized         (no key, unknown, revoked, expired)
    ├── Forbidden                       403 forbidden            (the key lacks the scope)
    ├── RateLimited                     429 rate_limited         (rate or daily quota used up)
    ├── RequestTimeout                  408 request_timeout      (the body arrived too slowly)
    ├── NotFound                        404 not_found
    │   ├── ModelNotFound               404 model_not_found
    │   └── VersionNotFound             404 version_not_found    (also an unknown alias)
    ├── Conflict                        409 conflict
    ├── ArtifactIntegrityError          503 artifact_integrity   (checksum mismatch: not loaded)
    ├── ModelLoadError                  503 model_load_failed
    ├── RegistryBusy                    503 registry_busy        (retryable: the database is locked)
    ├── RateLimiterUnavailable          503 rate_limiter_unavailable (Redis cannot be reached)
    ├── QueueFull                       503 queue_full           (retryable: Retry-After header)
    ├── BatchError                      500 batch_failed         (the model broke its contract)
    └── PredictTimeout                  504 predict_timeout      (no answer within the timeout)

Every message says what went wrong and, where it can, what to do next.
"""

from __future__ import annotations

import math
from typing import Any


class LimelightError(Exception):
    """Base class: carries an HTTP status, a stable machine-readable code and a message."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """Extra HTTP response headers (e.g. Retry-After); none by default."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return {"error": body}


class InvalidInput(LimelightError):
    status_code = 422
    code = "invalid_input"


class DataError(InvalidInput):
    code = "invalid_data"


class PayloadTooLarge(InvalidInput):
    status_code = 413
    code = "payload_too_large"


class NotFound(LimelightError):
    status_code = 404
    code = "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class Conflict(LimelightError):
    status_code = 409
    code = "conflict"


class ArtifactIntegrityError(LimelightError):
    status_code = 503
    code = "artifact_integrity"


class ModelLoadError(LimelightError):
    status_code = 503
    code = "model_load_failed"


class RegistryBusy(LimelightError):
    status_code = 503
    code = "registry_busy"


class Unauthorized(LimelightError):
    status_code = 401
    code = "unauthorized"


class Forbidden(LimelightError):
    status_code = 403
    code = "forbidden"


class RateLimited(LimelightError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class RequestTimeout(LimelightError):
    status_code = 408
    code = "request_timeout"


class RateLimiterUnavailable(LimelightError):
    status_code = 503
    code = "rate_limiter_unavailable"


class QueueFull(LimelightError):
    """A model's batch queue is at its bound: the request was not queued. Retry after a moment."""

    status_code = 503
    code = "queue_full"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class BatchError(LimelightError):
    status_code = 500
    code = "batch_failed"


class PredictTimeout(LimelightError):
    status_code = 504
    code = "predict_timeout"
