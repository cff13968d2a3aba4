"""What use-cases return: plain immutable views, never ORM rows (those stay in the service)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.store.enums import Language, LifecycleStage, Role, ScoreCause
from scoring import CompiledModel, FactValue, LocalText, ScoreResult, WhatItTakes


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    external_id: str | None
    name: str
    owner_id: int | None
    owner_name: str | None
    lifecycle_stage: LifecycleStage
    tier: str | None  # the tier everyone sees (an active override wins)
    scored_tier: str | None  # the tier the model gives
    score: float | None
    tier_since: datetime | None
    last_reviewed_at: datetime | None
    override_tier: str | None
    override_reason: str | None
    override_until: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account: AccountSummary
    similarity: float  # 0-100, higher is closer


@dataclass(frozen=True, slots=True)
class TierChangeView:
    account_id: int
    account_name: str
    old_tier: str | None
    new_tier: str
    old_score: float | None
    new_score: float | None
    cause: ScoreCause
    changed_at: datetime
    actor_name: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QualificationView:
    """A prospect's last qualification: its grade by time to close, and what was answered."""

    grade: str
    label: LocalText  # e.g. "likely to close within 3 months"
    model: str  # the prospect model that asked, as "name vN"
    answers: Mapping[str, object]
    at: datetime
    by: str | None


@dataclass(frozen=True, slots=True)
class Card:
    """Everything the tier card shows about one account."""

    account: AccountSummary
    facts: Mapping[str, FactValue]
    model: CompiledModel
    result: ScoreResult
    plan: WhatItTakes
    recent_changes: tuple[TierChangeView, ...]
    locale: str = "en"  # the language the card was asked for
    qualification: QualificationView | None = None


@dataclass(frozen=True, slots=True)
class UpdateOutcome:
    card: Card
    changed: Mapping[str, tuple[FactValue | None, FactValue | None]]  # field -> (old, new)
    old_score: float | None
    old_tier: str | None

    @property
    def tier_changed(self) -> bool:
        return self.old_tier != self.card.account.tier


@dataclass(frozen=True, slots=True)
class UndoOutcome:
    card: Card
    undone_action: str  # the audit action that was reverted, e.g. "update_facts", "override"
    undone_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewItem:
    account: AccountSummary
    overdue_days: int | None  # days past the model's review interval; None if not overdue
    margin_below: float | None  # points above the tier below, when near a boundary


@dataclass(frozen=True, slots=True)
class ChatIdentityView:
    platform: str
    platform_user_id: str
    team_id: str | None


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    name: str
    role: Role
    language: Language | None  # None: follow the chat platform's language hint
    time_zone: str
    email: str | None
    alerts_enabled: bool
    digest_enabled: bool
    identities: tuple[ChatIdentityView, ...]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    version: int
    title: str
    activated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActivationReport:
    """What activating a model did: accounts rescored, and how many changed tier which way."""

    accounts: int
    changed: int  # accounts whose model tier changed (up, down, or to a tier the old model lacked)
    up: int
    down: int
    seconds: float
    model: ModelInfo  # the model now active


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong in an imported file, at one row (as the spreadsheet numbers it)."""

    row: int
    column: str  # the file's own column name where known
    message: str

    @property
    def path(self) -> str:
        return f"row {self.row}, column {self.column}"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportChange:
    """What an import does (or, in a dry run, would do) to one account."""

    row: int
    account_id: int | None  # None for an account a dry run would create
    external_id: str
    name: str
    created: bool
    # column -> (stored value, value from the file), for changed accounts
    fields: Mapping[str, tuple[object, object]]
    old_tier: str | None
    new_tier: str | None
    old_score: float | None
    new_score: float | None


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    rows: int  # data rows in the file
    created: int
    updated: int
    unchanged: int
    skipped: tuple[RowProblem, ...]  # problems of the rows left out (with skip_invalid)
    up: int  # stored accounts whose visible tier went up
    down: int
    new_tiers: Mapping[str, int]  # created accounts per tier
    changes: tuple[ImportChange, ...]  # every created or changed account, in file order
    dry_run: bool
    seconds: float

    @property
    def skipped_rows(self) -> int:
        return len({problem.row for problem in self.skipped})


@dataclass(frozen=True, slots=True)
class AccountExport:
    """Accounts as flat text rows, produced batch by batch so any number fits in memory."""

    columns: tuple[str, ...]
    batches: AsyncIterator[list[tuple[str, ...]]]
