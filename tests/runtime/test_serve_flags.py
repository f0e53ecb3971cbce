"""`limelight serve` refuses bad batching flags and config files with one error line."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--max-batch-size", "0"],
            "error: --max-batch-size: Input should be greater than or equal to 1",
        ),
        (["--timeout", "-1"], "error: --timeout: Input should be greater than 0"),
        (["--batch-config", "missing.toml"], "does not exist"),
    ],
)
def test_bad_batching_flags(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    # serve passes its flags to worker processes through the environment: restore it after
    names = ("BATCH_MAX_SIZE", "BATCH_MAX_WAIT_MS", "BATCH_MAX_QUEUE", "PREDICT_TIMEOUT_S")
    for name in (*names, "BATCH_CONFIG", "PRELOAD", "HOME"):
        monkeypatch.setenv(f"LIMELIGHT_{name}", "")
        monkeypatch.delenv(f"LIMELIGHT_{name}")
    code = main(["--home", str(tmp_path / "home"), "serve", "--port", "1", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and message in err[0]


def test_worker_processes_divide_the_onnx_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from limelight.onnxrt import default_threads

    seen: dict[str, str | None] = {}

    def fake_run(target: str, **options: object) -> None:  # the supervisor would fork here
        import os

        seen["threads"] = os.environ.get("LIMELIGHT_ONNX_THREADS")
        seen["workers"] = str(options["workers"])

    monkeypatch.setattr(uvicorn, "run", fake_run)
    for name in ("ONNX_THREADS", "PRELOAD", "HOME"):
        monkeypatch.setenv(f"LIMELIGHT_{name}", "")
        monkeypatch.delenv(f"LIMELIGHT_{name}")
    cores = default_threads()
    code = main(["--home", str(tmp_path / "home"), "serve", "--port", "1", "--workers", "2"])
    assert code == 0
    assert seen == {"threads": str(max(1, cores // 2)), "workers": "2"}
    monkeypatch.setenv("LIMELIGHT_ONNX_THREADS", "3")  # an explicit setting wins
    main(["--home", str(tmp_path / "home"), "serve", "--port", "1", "--workers", "2"])
    assert seen["threads"] == "3"
