"""What a weekly digest says, as plain data.

Collected once by SQL aggregates (:mod:`bot.delivery.digest_queries`), stored in the
digest's outbox row as JSON, and rendered in the manager's language (text and chart)
when the row is sent. Pydantic gives the JSON round trip with types checked.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

TierCounts = dict[str, int]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class WeekPoint(_Data):
    """The tier distribution at the end of one week, and the moves during it."""

    label: str  # ISO week, "W10"
    counts: TierCounts
    up: int = 0
    down: int = 0


class MoveItem(_Data):
    name: str
    old_tier: str | None
    new_tier: str
    old_score: float | None
    new_score: float | None
    reason: str | None


class NearItem(_Data):
    name: str
    tier: str
    score: float
    threshold: float


class RepLoad(_Data):
    name: str
    counts: TierCounts
    total: int
    too_many_top: bool
    over_median: bool


class TeamLoad(_Data):
    reps: int
    median: float
    top_tier: str
    top_tier_limit: int
    overloaded: list[RepLoad]  # the heaviest first, at most a handful
    overloaded_count: int
    unassigned: int


class Concentration(_Data):
    field_label: dict[str, str]  # locale -> label of the revenue fact
    currency: str
    accounts: int  # accounts with a known value
    total: float
    top_share: float  # percent of the total held by the top 20 % of those accounts
    largest_name: str
    largest_share: float  # percent


class DigestData(_Data):
    as_of: datetime
    model: str
    model_version: int
    tiers: list[str]  # best first
    total: int
    ungraded: int
    now: TierCounts
    week_ago: TierCounts
    four_weeks_ago: TierCounts
    weeks: list[WeekPoint]  # oldest first, the last one ends now
    up: int
    down: int
    graded: int
    top_up: list[MoveItem]
    top_down: list[MoveItem]
    near_points: float
    near: TierCounts
    near_examples: list[NearItem]
    review_days: int
    overdue: TierCounts
    team: TeamLoad
    revenue: Concentration | None
