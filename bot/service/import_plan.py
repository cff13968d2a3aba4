"""What an import changes: checked rows against the stored accounts, scored in bulk.

Nothing here touches the database: the plan is the same for a dry run and a real one,
which is what lets a dry run report exactly what the import would do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from bot.service.bulk import JsonText, Move, json_object_texts
from bot.service.columns import completeness, stored_columns
from bot.service.import_checks import CheckedRow, People
from bot.store.enums import LifecycleStage
from scoring import CompiledModel, facts_to_json, score_columns

Stored = Any  # a row of the accounts table, as read by the import


@dataclass(frozen=True, slots=True)
class NewScores:
    score: float
    sub_scores: JsonText
    scored_tier: str
    completeness: float
    model_name: str
    model_version: int


@dataclass(slots=True)
class Planned:
    """One account the import creates (``stored`` is None) or changes."""

    checked: CheckedRow
    stored: Stored | None
    name: str
    owner_id: int | None
    aliases: tuple[str, ...]
    stage: LifecycleStage
    facts: dict[str, Any]  # every fact to store, as JSON values
    fields: dict[str, tuple[object, object]] = field(default_factory=dict)  # what differs
    rescore: bool = True  # facts changed (or a new account)
    scores: NewScores | None = None
    tier: str | None = None  # the visible tier afterwards
    account_id: int = 0  # known for stored accounts; set for new ones once inserted

    @property
    def tier_moved(self) -> bool:
        return self.tier is not None and self.tier != (self.stored.tier if self.stored else None)

    def before(self) -> dict[str, Any] | None:
        s = self.stored
        if s is None:
            return None
        override = _override(s)
        return _document(
            s.name, s.owner_id, s.aliases, s.lifecycle_stage, s.facts, s.score, s.scored_tier
        ) | {"tier": s.tier, "override": override, "version": s.version}

    def after(self, source: str) -> dict[str, Any]:
        s, scores = self.stored, self.scores
        score = scores.score if scores else (s.score if s else None)
        scored_tier = scores.scored_tier if scores else (s.scored_tier if s else None)
        document = _document(
            self.name, self.owner_id, self.aliases, self.stage, self.facts, score, scored_tier
        )
        return document | {
            "tier": self.tier,
            "override": _override(s),
            "version": s.version + 1 if s else 1,
            "external_id": self.checked.external_id,
            "source": source,
        }

    def move(self, source: str) -> Move:
        s = self.stored
        new_score = self.scores.score if self.scores else (s.score if s else None)
        assert self.tier is not None
        reasons = [f"Imported from {source}"]
        if s is not None:
            changed = [name for name in self.fields if name in self.facts or name in s.facts]
            if changed:
                reasons = [f"Imported from {source}: {', '.join(changed)}"]
            old = f"{s.score:.1f}" if s.score is not None else "none"
            reasons.append(f"Score {old} -> {new_score:.1f}" if new_score is not None else "")
        return Move(
            account_id=self.account_id,
            account_name=self.name,
            owner_id=self.owner_id,
            old_tier=s.tier if s else None,
            new_tier=self.tier,
            old_score=s.score if s else None,
            new_score=new_score,
            reasons=[reason for reason in reasons if reason],
        )


@dataclass(frozen=True, slots=True)
class Plan:
    changes: list[Planned]  # in file order
    unchanged: int


def plan(
    model: CompiledModel,
    people: People,
    checked: list[CheckedRow],
    stored: Mapping[str, Stored],
    today: date,
    source: str,
) -> Plan:
    changes: list[Planned] = []
    unchanged = 0
    for row in checked:
        found = stored.get(row.external_id)
        planned = _new(row) if found is None else _changed(people, row, found)
        if planned is None:
            unchanged += 1
        else:
            changes.append(planned)
    _score(model, [p for p in changes if p.rescore], today)
    for p in changes:
        if not p.rescore and p.stored is not None:
            p.tier = p.stored.tier
    return Plan(changes, unchanged)


def _new(row: CheckedRow) -> Planned:
    return Planned(
        checked=row,
        stored=None,
        name=row.name,
        owner_id=row.owner_id,
        aliases=row.aliases or (),
        stage=row.stage or LifecycleStage.PROSPECT,
        facts=facts_to_json(row.facts),
    )


def _changed(people: People, row: CheckedRow, s: Stored) -> Planned | None:
    fields: dict[str, tuple[object, object]] = {}
    if row.name != s.name:
        fields["name"] = (s.name, row.name)
    owner_id = row.owner_id if row.owner_given else s.owner_id
    if owner_id != s.owner_id:
        fields["owner"] = (people.names.get(s.owner_id or 0), people.names.get(owner_id or 0))
    aliases = row.aliases if row.aliases is not None else tuple(s.aliases)
    if list(aliases) != list(s.aliases):
        fields["aliases"] = ("; ".join(s.aliases), "; ".join(aliases))
    stage = row.stage or s.lifecycle_stage
    if stage != s.lifecycle_stage:
        fields["lifecycle_stage"] = (s.lifecycle_stage.value, stage.value)
    given = facts_to_json(row.facts)
    facts_changed = {
        k: (s.facts.get(k), v) for k, v in given.items() if not _same_fact(s.facts.get(k), v)
    }
    if not fields and not facts_changed:
        return None
    return Planned(
        checked=row,
        stored=s,
        name=row.name,
        owner_id=owner_id,
        aliases=aliases,
        stage=stage,
        facts=dict(s.facts) | given,
        fields=fields | facts_changed,
        rescore=bool(facts_changed),
        account_id=s.id,
    )


def _same_fact(stored: object, given: object) -> bool:
    """Whether a stored fact is the value given. Numbers compare as the floats they are
    scored as: PostgreSQL's JSONB hands a whole 1.2345678901234568e29 back as the
    integer 123456789012345680000000000000, which Python does not call equal."""
    if _is_number(stored) and _is_number(given):
        return float(cast(float, stored)) == float(cast(float, given))
    return stored == given


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _score(model: CompiledModel, planned: list[Planned], today: date) -> None:
    if not planned:
        return
    columns = stored_columns(model, [p.facts for p in planned])
    previous = [p.stored.scored_tier if p.stored is not None else None for p in planned]
    scores = score_columns(model, columns, previous_tiers=previous, today=today)
    known = completeness(model, columns, len(planned))
    subs = json_object_texts({k: v.tolist() for k, v in scores.sub_scores.items()})
    tiers = scores.tiers()
    for i, (p, total) in enumerate(zip(planned, scores.total.tolist(), strict=True)):
        p.scores = NewScores(total, subs[i], tiers[i], known[i], model.name, model.version)
        override = p.stored.override_tier if p.stored is not None else None
        p.tier = override or tiers[i]


def _document(
    name: str,
    owner_id: int | None,
    aliases: Any,
    stage: LifecycleStage,
    facts: Mapping[str, Any],
    score: float | None,
    scored_tier: str | None,
) -> dict[str, Any]:
    return {
        "name": name,
        "owner_id": owner_id,
        "aliases": list(aliases),
        "lifecycle_stage": stage.value,
        "facts": dict(facts),
        "score": score,
        "scored_tier": scored_tier,
    }


def _override(s: Stored | None) -> dict[str, Any]:
    """The override as the audit log records it (see ``grading.Override.document``)."""
    until = s.override_until if s is not None else None
    return {
        "tier": s.override_tier if s is not None else None,
        "reason": s.override_reason if s is not None else None,
        "by_id": s.override_by_id if s is not None else None,
        "until": until.isoformat() if until is not None else None,
    }


def json_text(value: object) -> JsonText:
    return JsonText(json.dumps(value, ensure_ascii=False))
