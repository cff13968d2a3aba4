"""Benchmark of the scoring core: bulk accounts/s and microseconds per single score."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from bot.benchmarks.synthetic import rows_from_columns, synthetic_columns
from scoring import CompiledModel, score, score_columns, what_it_takes


@dataclass(frozen=True, slots=True)
class ScoringFigures:
    accounts: int
    bulk_seconds: float
    single_samples: int
    single_us: float
    single_p99_us: float
    what_it_takes_us: float

    @property
    def bulk_per_second(self) -> float:
        return self.accounts / self.bulk_seconds


def run(
    model: CompiledModel, accounts: int, single_samples: int = 20_000, seed: int = 7
) -> ScoringFigures:
    today = date.today()
    columns = synthetic_columns(model, accounts, seed=seed, today=today)
    score_columns(model, {k: v[:1000] for k, v in columns.items()}, today=today)  # warm up
    started = time.perf_counter()
    score_columns(model, columns, today=today)
    bulk_seconds = time.perf_counter() - started
    rows = rows_from_columns(model, columns, min(single_samples, accounts))
    timings: list[int] = []
    for facts in rows:
        began = time.perf_counter_ns()
        score(model, facts, previous_tier="B", today=today)
        timings.append(time.perf_counter_ns() - began)
    timings.sort()
    sample = rows[: min(500, len(rows))]
    whatif_began = time.perf_counter()
    for facts in sample:
        what_it_takes(model, facts, today=today)
    whatif_us = (time.perf_counter() - whatif_began) / len(sample) * 1e6
    return ScoringFigures(
        accounts=accounts,
        bulk_seconds=bulk_seconds,
        single_samples=len(timings),
        single_us=sum(timings) / len(timings) / 1000,
        single_p99_us=timings[int(len(timings) * 0.99) - 1] / 1000,
        what_it_takes_us=whatif_us,
    )
