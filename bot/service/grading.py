"""Putting a score on an account row, and the state the audit log keeps of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.service import facts as stored_facts
from bot.service.context import ServiceContext
from bot.service.facts import Stored
from bot.store.enums import ScoreCause
from bot.store.tables import Account, ScoreHistory
from scoring import CompiledModel, FactValue, ScoreResult, score


def apply_score(account: Account, result: ScoreResult, now: datetime) -> None:
    account.score = result.total
    account.sub_scores = dict(result.sub_scores)
    account.scored_tier = result.tier
    account.model_name = result.model_name
    account.model_version = result.model_version
    account.completeness = result.completeness
    show_tier(account, now)


def show_tier(account: Account, now: datetime) -> None:
    """Make ``tier`` what everyone should see: the override while there is one."""
    visible = account.override_tier or account.scored_tier
    if visible != account.tier:
        account.tier = visible
        account.tier_since = now
    account.updated_at = now


@dataclass(frozen=True, slots=True)
class Override:
    tier: str | None
    reason: str | None = None
    by_id: int | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, account: Account) -> Override:
        return cls(
            account.override_tier,
            account.override_reason,
            account.override_by_id,
            account.override_until,
        )

    @classmethod
    def from_document(cls, document: Stored) -> Override:
        until = document.get("until")
        return cls(
            document.get("tier"),
            document.get("reason"),
            document.get("by_id"),
            datetime.fromisoformat(until) if until else None,
        )

    def document(self) -> dict[str, Any]:
        until = self.until.isoformat() if self.until is not None else None
        return {"tier": self.tier, "reason": self.reason, "by_id": self.by_id, "until": until}


NO_OVERRIDE = Override(None)


def set_override(account: Account, override: Override) -> None:
    account.override_tier = override.tier
    account.override_reason = override.reason
    account.override_by_id = override.by_id
    account.override_until = override.until


def score_account(
    ctx: ServiceContext,
    model: CompiledModel,
    account: Account,
    previous: str | None = None,
    *,
    facts: Mapping[str, FactValue] | None = None,
) -> ScoreResult:
    """Score the stored facts; hysteresis holds on to ``previous`` (default: the model tier).

    ``facts`` are the stored facts already decoded, when the caller has them.
    """
    if facts is None:
        facts = stored_facts.decode(model, account.facts)
    held = previous if previous is not None else account.scored_tier
    return score(model, facts, previous_tier=held, today=ctx.today())


def history_row(account: Account, cause: ScoreCause, now: datetime) -> ScoreHistory:
    return ScoreHistory(
        account_id=account.id,
        scored_at=now,
        score=account.score or 0.0,
        sub_scores=dict(account.sub_scores),
        tier=account.tier or "",
        model_name=account.model_name or "",
        model_version=account.model_version or 0,
        cause=cause,
    )


def snapshot(account: Account) -> dict[str, Any]:
    """The account's state as the audit log records it (and undo restores it)."""
    return {
        "facts": dict(account.facts),
        "score": account.score,
        "scored_tier": account.scored_tier,
        "tier": account.tier,
        "override": Override.of(account).document(),
        "version": account.version,
    }
