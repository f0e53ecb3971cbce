"""The task contract: what every task and every candidate algorithm implements.

A task fixes its input and output schema, its metrics and its candidate algorithms, and knows how
to train from a table and how to load what it trained. An algorithm is one small class whose
hyperparameters are explicit ``__init__`` keyword arguments (scikit-learn's estimator contract),
so its configuration serializes cleanly into the registry manifest. Adding an algorithm is one
module plus one registration line in its task; adding a task is one package plus one line in
``limelight.tasks.TASKS``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pandas as pd
from pydantic import BaseModel


class Progress(Protocol):
    """Where long operations report what they are doing (the CLI renders it with Rich)."""

    def stage(self, description: str, total: float | None = None) -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def log(self, message: str) -> None: ...


class NullProgress:
    def stage(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def log(self, message: str) -> None:
        pass


class Algorithm(ABC):
    """One candidate algorithm. Subclasses declare ``name``, ``description`` and explicit
    keyword-only hyperparameters in ``__init__``, stored under the same attribute names."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: fit() takes ``progress=`` (a Progress) to report epochs and scores while it trains.
    reports_progress: ClassVar[bool] = False
    #: the winner of a selection is refitted on train + validation; algorithms that early-stop
    #: on a held-out slice of what they are given say False and are kept as fitted.
    refit: ClassVar[bool] = True
    #: recorded in the manifest next to the name of the algorithm that saved the artifact.
    artifact_format: ClassVar[str] = "skops"

    def save(self, estimator: Any, folder: Path) -> None:
        """Write a fitted estimator's files into ``folder``. Default: one skops file; an
        algorithm that owns its files (e.g. an ONNX graph and a tokenizer) overrides this and
        ``load``."""
        from limelight.tasks.persistence import SKOPS_FILE, dump_sklearn

        dump_sklearn(estimator, folder / SKOPS_FILE)

    @classmethod
    def load(cls, folder: Path) -> Any:
        """Read back what ``save`` wrote: an object with ``predict_proba`` and ``classes_``."""
        from limelight.tasks.persistence import SKOPS_FILE, load_sklearn

        return load_sklearn(folder / SKOPS_FILE)

    def get_params(self) -> dict[str, Any]:
        signature = inspect.signature(type(self).__init__)
        return {
            p: getattr(self, p)
            for p in signature.parameters
            if p != "self" and signature.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY
        }

    @abstractmethod
    def build(self, seed: int) -> Any:
        """Return a new, unfitted estimator (fit/predict_proba on the task's raw inputs)."""

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        """Hyperparameters to try, drawn from an Optuna ``trial`` (``trial.suggest_*``); the
        keys are ``__init__`` keywords. An algorithm with nothing worth tuning returns {}."""
        return {}


@dataclass
class TrainOptions:
    """What the user asked for. ``columns`` maps the task's roles (e.g. text, target) to the
    data's column names."""

    columns: dict[str, str]
    algorithm: str = "auto"
    seed: int = 42
    validation_size: float = 0.1
    test_size: float = 0.1
    params: dict[str, Any] = field(default_factory=dict)
    features: list[str] | None = None  # tabular: input columns (None: every other column)
    budget: str | None = None  # hyperparameter search: "300s", "5m" or a trial count "50"
    #: task-specific options (e.g. the recommendation task's item catalog and split method)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluation:
    """Test-split predictions and feature importance, for the version's HTML report."""

    kind: str  # "classification" or "regression"
    y_true: Any
    proba: Any = None  # classification: (n, len(labels)) probabilities
    labels: list[str] | None = None
    y_pred: Any = None  # regression: predicted values
    importance: list[tuple[str, float]] = field(default_factory=list)
    importance_method: str = ""


@dataclass
class TrainOutcome:
    """What a task hands back to the trainer to register as a new version."""

    algorithm: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    data: dict[str, Any]
    write: Callable[[Path], None]
    selection: dict[str, Any] = field(default_factory=dict)
    input_schema: dict[str, Any] | None = None  # when the schema depends on the data
    evaluation: Evaluation | None = None


class Predictor(Protocol):
    """A loaded model's behaviour: a batch of validated inputs in, one output per input.

    Optionally, ``holds_gil = True`` says ``predict_batch`` spends most of its time in Python
    code (not in native code that releases the GIL, as ONNX Runtime and BLAS do); the server
    then runs its batches on the event loop instead of handing them to a thread."""

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]: ...


class Task(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    roles: ClassVar[dict[str, str]]  # role -> what the column holds (for the CLI's help)
    required_roles: ClassVar[tuple[str, ...]]
    #: roles whose columns are read as strings (ids that look numeric stay as written)
    string_roles: ClassVar[tuple[str, ...]] = ()
    algorithms: ClassVar[dict[str, type[Algorithm]]]
    default_candidates: ClassVar[tuple[str, ...]]
    input_model: ClassVar[type[BaseModel]]
    output_model: ClassVar[type[BaseModel]]
    selection_metric: ClassVar[str]

    def columns(self, options: TrainOptions) -> list[str] | None:
        """The columns to read (None: all of them)."""
        from limelight.errors import InvalidInput

        for role in self.required_roles:
            if not options.columns.get(role):
                raise InvalidInput(
                    f"{self.name} needs the {role} column: pass --{role} COLUMN", field=role
                )
        return [options.columns[r] for r in self.roles if options.columns.get(r)]

    def candidates(self, algorithm: str) -> list[str]:
        """``auto`` (the task's default candidates), one name, or a comma list of names that
        may include ``auto`` (``auto,minilm-finetune``: the defaults plus an opt-in one)."""
        from limelight.errors import InvalidInput

        names: list[str] = []
        for name in (a.strip() for a in algorithm.split(",")):
            for one in self.default_candidates if name == "auto" else (name,):
                if one and one not in names:
                    names.append(one)
        if not names:
            raise InvalidInput(f"name an algorithm for {self.name}, or auto", field="algorithm")
        for name in names:
            if name not in self.algorithms:
                known = ", ".join(self.algorithms)
                raise InvalidInput(
                    f"unknown algorithm {name!r} for {self.name}; choose auto or one of: {known}",
                    field="algorithm",
                )
        return names

    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        return self.output_model.model_json_schema()

    @abstractmethod
    def train(
        self, frame: pd.DataFrame, options: TrainOptions, progress: Progress
    ) -> TrainOutcome: ...

    def pretrained(self, options: TrainOptions, progress: Progress) -> TrainOutcome:
        """Package a pretrained model as a new version without training data
        (``limelight register``). Tasks trained from data keep this default, which refuses."""
        from limelight.errors import InvalidInput

        raise InvalidInput(
            f"{self.name} models are trained from data: use `limelight train {self.name} ...`",
            field="task",
        )

    @abstractmethod
    def load(self, folder: Path, manifest: dict[str, Any]) -> Predictor: ...
