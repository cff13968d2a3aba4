"""Test data for the service layer: facts that grade A, B and C under the shipped default
model (on the FakeClock's start date), a small sales team, and row counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from bot.service import Actor, TieringService
from bot.service.registry import CompiledModels
from bot.service.views import PersonView
from bot.store.db import Database
from bot.store.enums import Channel, Language, Role
from bot.store.tables import AuditEntry, OutboxMessage, ScoreHistory, TierChange
from bot.testing.clock import FakeClock

# Scores under the default model on 2026-03-02: A 91.5, B 65.75, C 25.0.
A_FACTS: Mapping[str, object] = {
    "cumulative_revenue": "12M",
    "avg_order_value": "600k",
    "orders_per_year": 12,
    "profit_margin": "25%",
    "revenue_growth": "30%",
    "company_size": "large",
    "industry": "finance",
    "credit_standing": "excellent",
    "decision_chain": "short",
    "last_order_date": "2026-02-01",
}
B_FACTS: Mapping[str, object] = {
    "cumulative_revenue": "6M",
    "avg_order_value": "200k",
    "orders_per_year": 6,
    "profit_margin": "15%",
    "revenue_growth": "20%",
    "company_size": "medium",
    "industry": "manufacturing",
    "credit_standing": "good",
    "decision_chain": "short",
    "last_order_date": "2026-01-15",
}
C_FACTS: Mapping[str, object] = {
    "cumulative_revenue": "300k",
    "avg_order_value": "30k",
    "orders_per_year": 2,
    "profit_margin": "8%",
    "revenue_growth": "5%",
    "company_size": "small",
    "industry": "retail",
    "credit_standing": "fair",
    "last_order_date": "2025-06-01",
}
# Lifts a B account (65.75) past A's bar plus hysteresis (78).
B_TO_A: Mapping[str, object] = {
    "cumulative_revenue": "12M",
    "avg_order_value": "600k",
    "orders_per_year": 12,
    "revenue_growth": "40%",
    "credit_standing": "excellent",
}


@dataclass(frozen=True, slots=True)
class Team:
    manager: PersonView
    rep: PersonView
    other_rep: PersonView

    @staticmethod
    def actor(person: PersonView, channel: Channel = Channel.SLACK) -> Actor:
        identity = next((i for i in person.identities if i.platform == channel.value), None)
        label = f"{identity.platform}:{identity.platform_user_id}" if identity else person.name
        return Actor(person.id, person.name, person.role, label, channel)


# Parsing a model file is the slowest step of a fresh service; tests share the results.
_COMPILED = CompiledModels()


def service_for(
    database: Database,
    clock: FakeClock | None = None,
    *,
    alert_routes: Mapping[str, list[str]] | None = None,
    reps_update_all: bool = False,
    conversation_timeout: timedelta = timedelta(minutes=30),
) -> TieringService:
    return TieringService(
        database,
        clock=clock or FakeClock(),
        alert_routes=alert_routes,
        reps_update_all=reps_update_all,
        conversation_timeout=conversation_timeout,
        compiled_models=_COMPILED,
    )


async def add_team(service: TieringService) -> Team:
    admin = Actor.cli()
    manager = await service.add_person(admin, "Mia Manager", Role.MANAGER, slack="U0MIA")
    rep = await service.add_person(
        admin, "Ravi Rep", Role.REP, slack="U0RAVI", telegram="1001", language=Language.EN
    )
    other = await service.add_person(admin, "Lin Rep", Role.REP, telegram="2002")
    return Team(manager, rep, other)


async def row_counts(database: Database) -> dict[str, int]:
    """Rows in the tables every write use-case adds to."""
    counts = {}
    async with database.session() as session:
        for table in (AuditEntry, ScoreHistory, TierChange, OutboxMessage):
            query = select(func.count()).select_from(table)
            counts[table.__tablename__] = await session.scalar(query) or 0
    return counts
