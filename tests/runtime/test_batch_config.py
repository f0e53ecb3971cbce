from __future__ import annotations

from pathlib import Path

import pytest

from limelight.errors import InvalidInput
from limelight.runtime.batch_config import BatchConfig
from limelight.runtime.batcher import BatchSettings
from limelight.settings import Settings


def test_defaults_flags_and_per_model_file(tmp_path: Path) -> None:
    config = tmp_path / "batching.toml"
    config.write_text(
        "[defaults]\nmax_batch_size = 16\nmax_queue = 100\n\n"
        '[models."review-sentiment"]\nmax_batch_size = 8\nmax_wait_ms = 2.5\n'
    )
    settings = Settings(home=tmp_path, batch_config=config, predict_timeout_s=5, batch_max_queue=50)
    batching = BatchConfig.from_settings(settings)
    assert batching.for_model("other") == BatchSettings(
        max_batch_size=16, max_queue=50, timeout_s=5
    )
    assert batching.for_model("review-sentiment") == BatchSettings(
        max_batch_size=8, max_wait_ms=2.5, max_queue=50, timeout_s=5
    )
    assert BatchConfig.from_settings(Settings(home=tmp_path)).for_model("x") == BatchSettings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[defaults]\nmax_batch = 3\n", "unknown batching setting 'max_batch'"),
        ("[defaults]\nmax_batch_size = 0\n", "max_batch_size must be at least 1"),
        ('[defaults]\nmax_wait_ms = "soon"\n', "max_wait_ms must be a number"),
        ("[defaults]\nmax_batch_size = 2.5\n", "max_batch_size must be a number"),
        ("[server]\nport = 1\n", "unknown table [server]"),
        ("[defaults\n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "batching.toml"
    config.write_text(text)
    with pytest.raises(InvalidInput) as info:
        BatchConfig.from_settings(Settings(home=tmp_path, batch_config=config))
    assert message in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        BatchConfig.from_settings(Settings(home=tmp_path, batch_config=tmp_path / "nope.toml"))
