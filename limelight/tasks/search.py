"""Hyperparameter search with Optuna, shared by every task.

Each candidate algorithm declares its search space (``Algorithm.search_space(trial)``). One
Optuna study per algorithm (TPE sampler seeded from ``--seed``) starts with the algorithm's
defaults, then the studies take turns until the budget — seconds or trials for the whole run —
is spent. Every trial is scored twice: first fitted on a quarter of the training rows (step 0),
then, unless the median pruner calls it hopeless against earlier trials of the same algorithm,
on all of them (step 1). Only complete trials compete. The search also stops early enough to
leave time for refitting the winner on train + validation within a time budget.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import optuna

from limelight.errors import InvalidInput
from limelight.tasks.base import Algorithm, Progress

PRUNING_FRACTION = 0.25
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$")

# Fit function: (algorithm, fraction of the training rows to use) -> validation score.
FitScore = Callable[[Algorithm, float], float]


@dataclass(frozen=True)
class Budget:
    """How much search one run may do: wall-clock seconds or a number of trials."""

    seconds: float | None = None
    trials: int | None = None

    @classmethod
    def parse(cls, text: str | int | float | None) -> Budget | None:
        """``"300s"``, ``"5m"``, ``"1h"`` are seconds; a bare number (``"50"``) is trials."""
        if text is None or text == "":
            return None
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = str(text)
        match = _BUDGET.match(str(text))
        if not match:
            raise InvalidInput(
                f"--budget {text!r} is neither seconds (e.g. 300s, 5m) nor a trial count (e.g. 50)",
                field="budget",
            )
        value, unit = float(match.group(1)), match.group(2)
        if value <= 0:
            raise InvalidInput("--budget must be positive", field="budget")
        if unit is None:
            if not value.is_integer():
                raise InvalidInput("a trial budget is a whole number", field="budget")
            return cls(trials=int(value))
        scale = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[unit]
        return cls(seconds=value * scale)

    def describe(self) -> str:
        return f"{self.seconds:g}s" if self.seconds is not None else f"{self.trials} trials"


@dataclass
class Candidate:
    name: str
    cls: type[Algorithm]
    fixed: dict[str, Any] = field(default_factory=dict)  # user-given params, never searched


@dataclass
class SearchResult:
    name: str
    algorithm: Algorithm
    score: float
    leaderboard: list[dict[str, Any]]
    trials: int
    pruned: int
    seconds: float


@dataclass
class _State:
    candidate: Candidate
    study: optuna.Study
    best: tuple[float, dict[str, Any], float] | None = None  # score, params, fit seconds
    trials: int = 0
    pruned: int = 0
    failed: int = 0
    seconds: float = 0.0
    last_error: str = ""
    exhausted: bool = False
    seen: set[str] = field(default_factory=set)


def search(
    candidates: Sequence[Candidate],
    fit_score: FitScore,
    *,
    metric: str,
    maximize: bool,
    budget: Budget | None,
    seed: int,
    progress: Progress,
    refit_factor: float = 1.25,
) -> SearchResult:
    """Run the search and return the best (algorithm, params) with a leaderboard.

    Without a budget every candidate is fitted once with its defaults (no search, no pruning).
    """
    optuna.logging.set_verbosity(logging.WARNING)
    started = time.monotonic()
    direction: Literal["maximize", "minimize"] = "maximize" if maximize else "minimize"
    states = []
    for index, candidate in enumerate(candidates):
        study = optuna.create_study(
            direction=direction,
            sampler=optuna.samplers.TPESampler(seed=seed + index, n_startup_trials=4),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0),
        )
        states.append(_State(candidate, study))
    max_trials = budget.trials if budget and budget.trials else None
    deadline = started + budget.seconds if budget and budget.seconds else None
    searching = budget is not None
    total = max_trials if max_trials else (len(states) if not searching else None)
    progress.stage(
        f"searching ({budget.describe()})" if budget else "fitting candidates", total=total
    )

    def better(a: float, b: float) -> bool:
        return a > b if maximize else a < b

    def reserve() -> float:
        # Time kept back for refitting the current leader on train + validation.
        leaders = [s.best for s in states if s.best is not None]
        if not leaders:
            return 0.0
        lead = leaders[0]
        for item in leaders[1:]:
            if better(item[0], lead[0]):
                lead = item
        return lead[2] * refit_factor

    done = 0
    turn = 0
    while True:
        active = [s for s in states if not s.exhausted]
        if not active:
            break
        if max_trials is not None and done >= max_trials:
            break
        if not searching and all(s.trials + s.failed for s in states):
            break
        state = _next_state(states, turn)
        if deadline is not None and done >= 1:
            # Do not start a trial expected to end after the deadline (the refit included);
            # an algorithm not tried yet is expected to take the median of the others.
            typical = _expected_seconds(state, states)
            if time.monotonic() + typical + reserve() >= deadline:
                break
        turn += 1
        done += 1
        _run_trial(state, fit_score, searching, progress, metric, better)
        progress.advance(1)

    for state in states:
        if state.trials + state.pruned + state.failed == 0:
            state.last_error = "not tried: the budget was spent"
    ranked = [s for s in states if s.best is not None]
    if not ranked:
        errors = "; ".join(f"{s.candidate.name}: {s.last_error}" for s in states if s.last_error)
        raise InvalidInput(f"no candidate could be trained on this data ({errors})")
    ranked.sort(key=lambda s: s.best[0] if s.best else 0.0, reverse=maximize)
    leaderboard = [_row(s, metric) for s in ranked]
    leaderboard += [_row(s, metric) for s in states if s.best is None]
    winner = ranked[0]
    assert winner.best is not None
    algorithm = winner.candidate.cls(**winner.best[1])
    return SearchResult(
        name=winner.candidate.name,
        algorithm=algorithm,
        score=winner.best[0],
        leaderboard=leaderboard,
        trials=sum(s.trials for s in states),
        pruned=sum(s.pruned for s in states),
        seconds=round(time.monotonic() - started, 3),
    )


def _expected_seconds(state: _State, states: list[_State]) -> float:
    def mean(s: _State) -> float:
        return s.seconds / max(1, s.trials + s.pruned)

    if state.trials + state.pruned:
        return mean(state)
    others = sorted(mean(s) for s in states if s.trials + s.pruned)
    return others[len(others) // 2] if others else 0.0


def _next_state(states: list[_State], turn: int) -> _State:
    # Every candidate's defaults first, then round-robin over the ones not exhausted.
    for state in states:
        if state.trials + state.pruned + state.failed == 0 and not state.exhausted:
            return state
    active = [s for s in states if not s.exhausted]
    return active[turn % len(active)]


def _run_trial(
    state: _State,
    fit_score: FitScore,
    searching: bool,
    progress: Progress,
    metric: str,
    better: Callable[[float, float], bool],
) -> None:
    cand = state.candidate
    first = state.trials + state.pruned + state.failed == 0
    trial = state.study.ask()
    # The first trial of every algorithm is its defaults; later ones come from its space.
    space = {} if first else cand.cls.search_space(trial)
    params = {**_defaults(cand), **space, **cand.fixed}
    key = repr(sorted(params.items()))
    if key in state.seen:  # the sampler proposed a configuration already tried
        state.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        state.pruned += 1
        if state.pruned > 20 + 2 * state.trials:
            state.exhausted = True
        return
    state.seen.add(key)
    if not searching:
        state.exhausted = True
    algorithm = cand.cls(**params)
    began = time.perf_counter()
    try:
        if searching:
            partial = fit_score(algorithm, PRUNING_FRACTION)
            trial.report(partial, step=0)
            if trial.should_prune():
                state.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                state.pruned += 1
                state.seconds += time.perf_counter() - began
                progress.log(f"{cand.name}: trial {trial.number} pruned ({metric} {partial:.4f})")
                return
        score = fit_score(algorithm, 1.0)
    except (ValueError, ArithmeticError, MemoryError) as exc:
        state.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        state.failed += 1
        state.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        progress.log(f"{cand.name}: trial failed: {state.last_error}")
        if state.failed >= 3 and state.trials == 0:
            state.exhausted = True
        return
    seconds = time.perf_counter() - began
    trial.report(score, step=1)
    state.study.tell(trial, score)
    state.trials += 1
    state.seconds += seconds
    if state.best is None or better(score, state.best[0]):
        state.best = (score, params, seconds)
        progress.log(f"{cand.name}: {metric} {score:.4f} ({seconds:.1f} s) {_fmt(params)}")


def _defaults(candidate: Candidate) -> dict[str, Any]:
    return candidate.cls().get_params()


def _row(state: _State, metric: str) -> dict[str, Any]:
    row: dict[str, Any] = {"algorithm": state.candidate.name}
    if state.best is not None:
        score, params, seconds = state.best
        row.update(
            params=params,
            metric=metric,
            validation_score=round(float(score), 6),
            fit_seconds=round(seconds, 3),
        )
    else:
        row.update(params={}, metric=metric, validation_score=None, error=state.last_error)
    row.update(trials=state.trials, pruned=state.pruned, failed=state.failed)
    return row


def _fmt(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )
