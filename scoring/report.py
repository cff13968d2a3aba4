"""Results as plain dictionaries with stable keys (for ``--json``, storage and templates)."""

from __future__ import annotations

from datetime import date
from typing import Any

from scoring.engine import ScoreResult
from scoring.model import FactValue, Playbook
from scoring.whatif import FactChange, WhatItTakes


def _fact(value: FactValue | None) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def playbook_as_dict(playbook: Playbook | None, locale: str = "en") -> dict[str, Any] | None:
    if playbook is None:
        return None
    return {
        "tier": playbook.tier,
        "owner": playbook.owner.get(locale),
        "cadence_days": playbook.cadence_days,
        "service_level": playbook.service_level.get(locale),
        "terms": playbook.terms.get(locale) if playbook.terms else None,
        "next_steps": [step.get(locale) for step in playbook.next_steps],
    }


def result_as_dict(result: ScoreResult, locale: str = "en") -> dict[str, Any]:
    return {
        "model": {"name": result.model_name, "version": result.model_version},
        "tier": result.tier,
        "tier_label": result.tier_label.get(locale),
        "total": round(result.total, 4),
        "base": round(result.base, 4),
        "sub_scores": {k: round(v, 4) for k, v in result.sub_scores.items()},
        "criteria": [
            {
                "id": c.id,
                "field": c.field,
                "label": c.label.get(locale),
                "sub_score": c.sub_score,
                "value": _fact(c.value),
                "missing": c.missing,
                "points": round(c.points, 4),
                "max_points": c.max_points,
                "rule": c.rule,
            }
            for c in result.criteria
        ],
        "adjustments": [
            {
                "id": a.id,
                "reason": a.reason.get(locale),
                "points": round(a.points, 4),
                "capped": a.capped,
            }
            for a in result.adjustments
        ],
        "missing": list(result.missing),
        "completeness": round(result.completeness, 2),
        "hysteresis": {
            "previous_tier": result.hysteresis.previous_tier,
            "raw_tier": result.hysteresis.raw_tier,
            "points": result.hysteresis.points,
            "held": result.hysteresis.held,
        },
        "margin_below": None if result.margin_below is None else round(result.margin_below, 4),
        "playbook": playbook_as_dict(result.playbook, locale),
    }


def _change(change: FactChange, locale: str) -> dict[str, Any]:
    return {
        "field": change.field,
        "label": change.label.get(locale),
        "from": _fact(change.current),
        "to": _fact(change.proposed),
        "points_gain": round(change.points_gain, 4),
        "new_tier": change.new_tier,
        "reaches_next_tier": change.reaches_next_tier,
    }


def what_it_takes_as_dict(plan: WhatItTakes, locale: str = "en") -> dict[str, Any]:
    return {
        "tier": plan.tier,
        "next_tier": plan.next_tier,
        "points_needed": (
            None
            if plan.points_needed is None
            else {k: round(v, 4) for k, v in plan.points_needed.items()}
        ),
        "changes": [_change(c, locale) for c in plan.changes],
        "best_moves": [_change(c, locale) for c in plan.best_moves],
        "tier_below": plan.tier_below,
        "margin_below": None if plan.margin_below is None else round(plan.margin_below, 4),
    }
