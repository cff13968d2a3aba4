"""A small, fixed world for conversation tests: people, accounts, a fake clock.

Shipped with the library so every adapter's tests (console, Slack, Telegram) and the
benchmarks start from the same known accounts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App, build_app
from bot.service.actor import Actor
from bot.settings import Settings
from bot.store.db import Database
from bot.store.enums import Role
from bot.store.migrate import upgrade_async
from bot.testing.clock import FakeClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning

ACCOUNTS: dict[str, dict[str, object]] = {
    "Acme Corporation": {
        "cumulative_revenue": "12M",
        "avg_order_value": "400k",
        "orders_per_year": 14,
        "profit_margin": "18%",
        "revenue_growth": "25%",
        "credit_standing": "good",
        "company_size": "large",
        "industry": "manufacturing",
        "decision_chain": "short",
    },
    "Globex Logistics": {
        "cumulative_revenue": "3M",
        "avg_order_value": "120k",
        "orders_per_year": 6,
        "profit_margin": "12%",
        "revenue_growth": "8%",
        "credit_standing": "fair",
        "company_size": "medium",
        "industry": "transport",
        "decision_chain": "long",
    },
    "华为技术": {
        "cumulative_revenue": "8M",
        "avg_order_value": "300k",
        "orders_per_year": 10,
        "profit_margin": "15%",
        "revenue_growth": "30%",
        "credit_standing": "good",
        "company_size": "large",
        "industry": "energy",
        "decision_chain": "long",
    },
    "<!channel> & <b>Co</b>": {
        "cumulative_revenue": "500k",
        "credit_standing": "poor",
        "company_size": "small",
    },
}


@dataclass(frozen=True, slots=True)
class Scenario:
    app: App
    clock: FakeClock
    account_ids: dict[str, int]
    people: dict[str, int]


async def populate(app: App) -> tuple[dict[str, int], dict[str, int]]:
    """Ann (manager), Bob (rep, owns Globex), Root (admin); the accounts above."""
    cli = Actor.cli()
    service = app.service
    ann = await service.add_person(cli, "Ann", Role.MANAGER, slack="U0ANN", telegram="5001")
    bob = await service.add_person(cli, "Bob", Role.REP, slack="U0BOB", telegram="5002")
    root = await service.add_person(cli, "Root", Role.ADMIN, slack="U0ROOT", telegram="5003")
    for person in ("Ann", "Bob", "Root"):
        await service.link_identity(cli, person, "console", person.casefold())
    owners = {"Globex Logistics": bob.id}
    ids = {}
    for name, facts in ACCOUNTS.items():
        card = await service.create_account(
            cli, name, facts=facts, owner_id=owners.get(name, ann.id)
        )
        ids[name] = card.account.id
    return ids, {"Ann": ann.id, "Bob": bob.id, "Root": root.id}


@asynccontextmanager
async def scenario(directory: Path, settings: Settings | None = None) -> AsyncIterator[Scenario]:
    """The app on a fresh SQLite file in ``directory``, populated, with a fake clock."""
    url = f"sqlite+aiosqlite:///{directory / 'scenario.db'}"
    await upgrade_async(url)
    database = Database(url)
    clock = FakeClock(START)
    base = settings or Settings()
    app = build_app(base.model_copy(update={"database_url": url}), database, clock)
    try:
        ids, people = await populate(app)
        yield Scenario(app, clock, ids, people)
    finally:
        await database.dispose()
