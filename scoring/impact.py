"""Model impact: which accounts would change tier if a new model replaced the old one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from scoring.bulk import score_columns
from scoring.model import CompiledModel, FactValue


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    CHANGED = "changed"  # the old tier does not exist in the new model


@dataclass(frozen=True, slots=True)
class TierMove:
    key: str
    old_tier: str | None
    new_tier: str
    new_total: float
    direction: Direction


@dataclass(frozen=True, slots=True)
class ImpactReport:
    accounts: int
    up: int
    down: int
    changed: int
    unchanged: int
    moves: tuple[TierMove, ...]
    before: Mapping[str, int]  # accounts per tier before
    after: Mapping[str, int]  # accounts per tier after


def columns_from_rows(
    model: CompiledModel, rows: Sequence[Mapping[str, FactValue]]
) -> dict[str, list[Any]]:
    """Fact mappings (one per account) as the columns bulk scoring reads."""
    return {name: [row.get(name) for row in rows] for name in model.fields}


def model_impact(
    new: CompiledModel,
    keys: Sequence[str],
    columns: Mapping[str, Sequence[Any]],
    current_tiers: Sequence[str | None],
    *,
    today: date | None = None,
) -> ImpactReport:
    """Compare each account's current tier with the tier ``new`` would give it.

    Hysteresis applies as it would on activation: the current tier is the previous one.
    """
    scored = score_columns(new, columns, previous_tiers=current_tiers, today=today)
    new_tiers = scored.tiers()
    moves = []
    for i, (old, tier) in enumerate(zip(current_tiers, new_tiers, strict=True)):
        if old == tier:
            continue
        old_rank, new_rank = new.tier_rank(old), new.tier_rank(tier)
        if old_rank is None or new_rank is None:
            direction = Direction.CHANGED
        else:
            direction = Direction.UP if new_rank < old_rank else Direction.DOWN
        moves.append(TierMove(keys[i], old, tier, float(scored.total[i]), direction))
    counts = Counter(move.direction for move in moves)
    return ImpactReport(
        accounts=len(keys),
        up=counts[Direction.UP],
        down=counts[Direction.DOWN],
        changed=counts[Direction.CHANGED],
        unchanged=len(keys) - len(moves),
        moves=tuple(moves),
        before=dict(Counter(t or "-" for t in current_tiers)),
        after=dict(Counter(new_tiers)),
    )
