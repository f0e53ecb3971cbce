"""Settings, read from the environment (prefix ``LIMELIGHT_``) when a Settings object is built.

Nothing here runs at import time: build ``Settings()`` (or pass explicit values) where the
program starts, and hand it to the pieces that need it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".limelight"


class Settings(BaseSettings):
    """Where Limelight keeps its state and what limits the server enforces."""

    model_config = SettingsConfigDict(env_prefix="LIMELIGHT_", extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Folder for the SQLite registry and the artifact store (LIMELIGHT_HOME).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; default sqlite:///<home>/registry.db. "
        "A postgresql+psycopg:// URL works unchanged.",
    )
    artifacts_dir: Path | None = Field(
        default=None, description="Artifact folder; default <home>/artifacts."
    )
    data_dir: Path | None = Field(
        default=None,
        description="Folder of the shared real data sets; default ../shared/data when present.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body accepted (413 above)."
    )
    max_instances: int = Field(
        default=256, ge=1, description="Most instances in one predict request (413 above)."
    )
    max_text_chars: int = Field(
        default=10_000, ge=1, description="Longest text accepted in one instance (413 above)."
    )
    max_request_bytes: int = Field(
        default=64 * 1_048_576,
        ge=1,
        description="Largest body any route accepts (uploads included); 413 above.",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A request body must arrive within this many seconds (408 after).",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL: rate-limit and quota counters shared by every server "
        "process (default: counted in each process).",
    )
    auth_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a process trusts a checked key (revocation elsewhere takes "
        "effect within this time).",
    )
    log_bodies: bool = Field(
        default=False,
        description="Log request bodies (with e-mails, phone numbers and keys redacted).",
    )
    access_log: bool = Field(default=True, description="One JSON log line per request.")
    fast_path: bool = Field(
        default=True,
        description="Answer POST /v1/models/{ref}/predict without FastAPI's router (same "
        "checks, answers and errors; about twice the requests per second on a small model).",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Folder for derived files (the MiniLM ONNX export); default <home>/cache.",
    )
    search_ann_min_items: int = Field(
        default=50_000,
        ge=1,
        description="Vector indexes built with --index auto use HNSW from this many items on "
        "(exact search below).",
    )
    alias_cache_seconds: float = Field(
        default=0.5,
        ge=0,
        description="How long the server trusts a resolved alias before asking the registry again.",
    )

    max_loaded_models: int = Field(
        default=16,
        ge=1,
        description="Most model versions kept loaded at once; the least recently used idle one "
        "is unloaded to make room.",
    )
    memory_budget_mb: float | None = Field(
        default=None,
        gt=0,
        description="Upper bound on loaded models' size (estimated from artifact bytes); the "
        "least recently used are unloaded to stay under it. None: no budget.",
    )
    idle_unload_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Unload a model version nobody called for this long. None: never.",
    )
    load_retry_seconds: float = Field(
        default=30.0,
        ge=0,
        description="After a model fails to load, answer its requests with the recorded error "
        "for this long before trying to load it again.",
    )
    deployments_file: Path | None = Field(
        default=None,
        description="limelight.yaml applied to the registry when the server starts.",
    )
    deployment_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long the server trusts its copy of the deployments before re-reading.",
    )
    grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description="On SIGTERM, how long in-flight requests may run before the server exits.",
    )
    registry_busy_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a registry write waits for another writer's lock before "
        "answering 503 registry_busy (retryable).",
    )
    torch_threads: int = Field(
        default=0,
        ge=0,
        description="PyTorch intra-op threads while training neural models; 0 = every core.",
    )
    onnx_threads: int = Field(
        default=0,
        ge=0,
        description="ONNX Runtime intra-op threads per served neural model; 0 = every core.",
    )
    onnx_spin: bool = Field(
        default=True,
        description="Let ONNX Runtime's threads spin between operators (faster on a machine of "
        "its own; turn off where other busy processes share the cores).",
    )
    batch_max_size: int | None = Field(
        default=None,
        ge=1,
        description="Largest batch a model's batcher forms (default 64; `serve --max-batch-size`).",
    )
    batch_max_wait_ms: float | None = Field(
        default=None,
        ge=0,
        description="How long a batch waits to fill, from its first request (default 0 ms).",
    )
    batch_max_queue: int | None = Field(
        default=None,
        ge=1,
        description="Requests queued per model before 503 + Retry-After (default 1024).",
    )
    predict_timeout_s: float | None = Field(
        default=None, gt=0, description="Seconds before a queued request answers 504 (default 30)."
    )
    batch_config: Path | None = Field(
        default=None,
        description="TOML file of per-model batching settings ([defaults], [models.NAME]).",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'registry.db'}"

    @property
    def resolved_artifacts_dir(self) -> Path:
        return self.artifacts_dir or self.home / "artifacts"

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.home / "cache"

    @property
    def resolved_data_dir(self) -> Path | None:
        if self.data_dir is not None:
            return self.data_dir
        here = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
        cwd = Path.cwd().parent / "shared" / "data"
        for candidate in (cwd, here):
            if candidate.is_dir():
                return candidate
        return None
