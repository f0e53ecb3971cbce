"""Rich rendering of training progress for the CLI and ``limelight.train(progress=True)``."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichProgress:
    """Implements limelight.tasks.Progress: one line per stage, with a bar when the total is
    known; log lines print above the bar."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._outer: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish()
        self._progress.stop()

    def _finish(self) -> None:
        if self._task is not None:
            self._progress.update(self._task, total=1, completed=1)
            self._task = None

    def stage(self, description: str, total: float | None = None) -> None:
        self._finish()
        if total is not None:  # a stage with a total is the outer bar that advance() moves
            self._outer = self._progress.add_task(description, total=total)
        else:
            self._task = self._progress.add_task(description, total=None)

    def advance(self, amount: float = 1) -> None:
        if self._outer is not None:
            self._progress.advance(self._outer, amount)

    def log(self, message: str) -> None:
        self._progress.console.print(message)
