"""Alert messages: one tier change as a card, many for one recipient as a summary.

The payload of an alert row is written by :mod:`bot.service.outbox` and carries
everything the message needs (account, tiers, scores, reasons, the new playbook's
first steps in each language), so rendering needs no account query. Reasons are
stored as written at the time of the change (English); everything around them is
translated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.messages import Button, Reply, ReplyKind, Section
from bot.conversation.texts import Texts, flat

TOP_MOVES = 5
TOP_PAIRS = 6


@dataclass(frozen=True, slots=True)
class Move:
    """The parts of an alert payload a message shows."""

    name: str
    old_tier: str | None
    new_tier: str
    old_score: float | None
    new_score: float | None
    cause: str
    actor: str | None
    reasons: tuple[str, ...]
    next_steps: tuple[Mapping[str, str], ...]

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Move:
        return cls(
            name=flat(str(payload.get("account_name") or payload.get("account_id") or "?")),
            old_tier=payload.get("old_tier"),
            new_tier=str(payload.get("new_tier") or "?"),
            old_score=_number(payload.get("old_score")),
            new_score=_number(payload.get("new_score")),
            cause=str(payload.get("cause") or "update"),
            actor=payload.get("actor") or None,
            reasons=tuple(str(r) for r in payload.get("reasons") or ()),
            next_steps=tuple(_steps(payload.get("next_steps"))),
        )

    @property
    def delta(self) -> float | None:
        if self.old_score is None or self.new_score is None:
            return None
        return self.new_score - self.old_score


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _steps(value: Any) -> list[Mapping[str, str]]:
    # Each step is {"en": ..., "zh": ...}; a bare string is taken as the same in every language.
    steps = value if isinstance(value, list) else []
    return [s if isinstance(s, Mapping) else {"en": str(s)} for s in steps]


def _score(texts: Texts, value: float) -> str:
    return texts.translator.number(value, 1 if value % 1 else 0)


def _maybe_score(texts: Texts, value: float | None) -> str:
    return _score(texts, value) if value is not None else ""


def _signed(texts: Texts, value: float | None) -> str:
    if not value:
        return ""
    return ("+" if value > 0 else "−") + _score(texts, abs(value))


def _step_text(step: Mapping[str, str], locale: str) -> str:
    return step.get(locale) or step.get("en") or next(iter(step.values()), "")


def alert_reply(texts: Texts, move: Move, *, possible_repeat: bool = False) -> Reply:
    """One tier change: what moved, why, and what to do now."""
    fields = texts.fields(
        "alerts", "fields", old_score=_maybe_score(texts, move.old_score),
        new_score=_maybe_score(texts, move.new_score),
        delta=_signed(texts, move.delta), cause=texts("card", "cause", code=move.cause),
        actor=move.actor or "",
    )
    sections = [Section(texts("alerts", "reasons_title"), move.reasons)] if move.reasons else []
    if move.next_steps:
        steps = tuple(_step_text(step, texts.locale) for step in move.next_steps)
        sections.append(Section(texts("alerts", "steps_title", tier=move.new_tier), steps))
    return Reply(
        title=texts("alerts", "title", name=move.name, old=move.old_tier or "", new=move.new_tier),
        kind=ReplyKind.CARD,
        fields=fields,
        sections=tuple(sections),
        buttons=(Button(texts("alerts", "button_card"), f"card {move.name}"),),
        footer=texts("alerts", "possible_repeat") if possible_repeat else None,
        ephemeral=False,
    )


def summary_reply(
    texts: Texts, moves: Sequence[Move], ranks: Mapping[str, int], *, possible_repeat: bool = False
) -> Reply:
    """Many tier changes for one recipient: counts, the biggest moves, moves per tier pair."""
    up, down, graded = _directions(moves, ranks)
    causes = {(m.cause, m.actor) for m in moves}
    cause = ""
    if len(causes) == 1:
        code, actor = causes.pop()
        cause = texts("alerts", "caused_by", cause=texts("card", "cause", code=code), actor=actor)
    biggest = sorted(moves, key=lambda m: (-abs(m.delta or 0.0), m.name))[:TOP_MOVES]
    pairs = Counter((m.old_tier, m.new_tier) for m in moves).most_common(TOP_PAIRS)
    footer = texts("alerts", "summary_footer")
    if possible_repeat:
        footer = f"{texts('alerts', 'possible_repeat')} {footer}"
    return Reply(
        title=texts("alerts", "summary_title", count=len(moves)),
        fields=texts.fields("alerts", "summary_fields", up=up, down=down, graded=graded,
                            cause=cause),
        sections=(
            Section(texts("alerts", "top_title"), tuple(
                texts("alerts", "move_line", name=m.name, old=m.old_tier, new=m.new_tier,
                      delta=_signed(texts, m.delta))
                for m in biggest
            )),
            Section(texts("alerts", "pairs_title"), tuple(
                texts("alerts", "pair_line", old=old, new=new, count=count)
                for (old, new), count in pairs
            )),
        ),
        footer=footer,
        ephemeral=False,
    )


def _directions(moves: Sequence[Move], ranks: Mapping[str, int]) -> tuple[int, int, int]:
    """Counts of moves up, down and first gradings; rank 0 is the best tier."""
    up = down = graded = 0
    for move in moves:
        if move.old_tier is None:
            graded += 1
        elif _rank(move.new_tier, ranks, move) < _rank(move.old_tier, ranks, move):
            up += 1
        else:
            down += 1
    return up, down, graded


def _rank(tier: str, ranks: Mapping[str, int], move: Move) -> float:
    if tier in ranks:
        return ranks[tier]
    # A tier of an older model: fall back on the score, which rises when a move is up.
    delta = move.delta or 0.0
    return -delta if tier == move.new_tier else 0.0
