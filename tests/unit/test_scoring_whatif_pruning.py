"""Skipping facts that cannot matter never changes what `what_it_takes` says."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

import scoring
from bot.benchmarks.synthetic import rows_from_columns, synthetic_columns
from scoring import load_model, what_it_takes
from scoring import whatif as whatif_module
from scoring.report import what_it_takes_as_dict

MODELS = Path(scoring.__file__).parent / "models"
TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("name", ["default", "prospect", "five_grade", "quadrant"])
def test_pruned_search_gives_the_same_answer_as_trying_every_fact(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = MODELS / f"{name}.yaml"
    model = load_model(path.read_text(encoding="utf-8"), path.name)
    rows = rows_from_columns(model, synthetic_columns(model, 400, seed=11, today=TODAY), 400)
    pruned = [what_it_takes_as_dict(what_it_takes(model, f, today=TODAY)) for f in rows]

    def no_bounds(model: scoring.CompiledModel, current: scoring.ScoreResult) -> dict[str, float]:
        return dict.fromkeys(model.fields, math.inf)

    monkeypatch.setattr(whatif_module, "gain_bounds", no_bounds)
    exhaustive = [what_it_takes_as_dict(what_it_takes(model, f, today=TODAY)) for f in rows]
    assert pruned == exhaustive
