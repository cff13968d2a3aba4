"""Demo data: a living book of accounts, so a newcomer sees tierbot working at once.

A few hundred accounts with English and Chinese names, reps and managers who own them,
and eight weeks of history: facts were updated week by week, so tiers moved, reviews
were done and the movers and digest have something to show. Everything is written
through the use-cases, so the audit log and tier history are as real as in production:
the book arrives by the bulk import eight weeks ago (as from a CRM export, in one
transaction), then changes week by week through ``update_facts`` and ``mark_reviewed``,
and is re-graded as its last order dates age (``regrade``).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bot.app import App, build_service
from bot.benchmarks.synthetic import rows_from_columns, synthetic_columns
from bot.clock import ManualClock
from bot.service import TieringService
from bot.service.actor import Actor
from bot.service.errors import PersonNotFound
from bot.service.import_checks import ImportRow
from bot.store.enums import Channel, Role
from scoring import CompiledModel, FactValue, facts_to_json

ACCOUNTS = 300
WEEKS = 8
UPDATES_PER_WEEK = 25
REPS = ("Li Wei", "Zhang Min", "Sarah Miller", "Wang Fang", "David Chen", "Liu Yang")
MANAGERS = ("Mei Chen", "James Park")
_EN = (
    "Acme",
    "Globex",
    "Initech",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
    "Wingtip",
    "Adventure",
    "Proseware",
    "Lucerne",
    "Fourth Coffee",
    "Margie",
    "Blue Yonder",
)
_EN_KIND = (
    "Manufacturing",
    "Logistics",
    "Energy",
    "Retail",
    "Health",
    "Finance",
    "Robotics",
    "Foods",
    "Materials",
    "Systems",
)
_ZH = (
    "华信",
    "中联",
    "海川",
    "恒达",
    "瑞丰",
    "天合",
    "远航",
    "金桥",
    "新元",
    "宏图",
    "博远",
    "盛世",
)
_ZH_KIND = ("制造", "物流", "能源", "零售", "医疗", "金融", "科技", "食品", "材料", "电子")


def demo_names(count: int, rng: random.Random) -> list[str]:
    """Unique company names, about half English and half Chinese."""
    names = [f"{a} {k}" for a in _EN for k in _EN_KIND]
    names += [f"{a}{k}有限公司" for a in _ZH for k in _ZH_KIND]
    rng.shuffle(names)
    extra = (f"{name} {n}" for n in range(2, 100) for name in names)
    return (names + [next(extra) for _ in range(max(0, count - len(names)))])[:count]


async def ensure_demo_data(app: App, *, console_person: str, seed: int = 7) -> int:
    """Create the demo book if there are no accounts yet; return how many were created."""
    if sum((await app.service.tier_distribution()).values()) > 0:
        return 0
    now = app.clock.now()
    clock = ManualClock(now - timedelta(weeks=WEEKS))
    service = build_service(app.settings, app.database, clock)
    rng = random.Random(seed)
    owners = await _people(service, console_person)
    model = await service.active_model()
    ids = await _accounts(service, model, owners, rng, clock)
    for _ in range(WEEKS):
        clock.advance(days=7)
        await _week_of_updates(service, model, ids, rng)
        # As the daily pass would have: last orders grew older over the week.
        await service.regrade(Actor.system())
    return len(ids)


async def _people(service: TieringService, console_person: str) -> list[str]:
    """Everyone who owns accounts, by name (the import matches owners by name)."""
    reps = [await _person(service, name, Role.REP) for name in REPS]
    for name in MANAGERS:
        await _person(service, name, Role.MANAGER)
    me = await service.ensure_person(
        "console",
        console_person,
        name=console_person,
        role=Role.MANAGER,
        language=None,
        team_id=None,
    )
    return [*reps, me.name]


async def _person(service: TieringService, name: str, role: Role) -> str:
    """The person called ``name``: one already there (added by hand before the demo was
    loaded) is used as they are, role and all, rather than failing the demo."""
    try:
        return (await service.person_by_name(name)).name
    except PersonNotFound:
        return (await service.add_person(Actor.cli(), name, role)).name


async def _accounts(
    service: TieringService,
    model: CompiledModel,
    owners: list[str],
    rng: random.Random,
    clock: ManualClock,
) -> list[int]:
    columns = synthetic_columns(
        model, ACCOUNTS, seed=rng.randrange(1 << 30), today=clock.now().date()
    )
    facts = rows_from_columns(model, columns, ACCOUNTS)
    rows = [
        ImportRow(
            i + 2,  # as in a spreadsheet: the header is row 1
            {
                "external_id": f"DEMO-{i + 1:04d}",
                "name": name,
                "owner": owners[i % len(owners)],
                **facts[i],
            },
        )
        for i, name in enumerate(demo_names(ACCOUNTS, rng))
    ]
    report = await service.import_accounts(Actor.cli(), rows, source="demo data")
    return [change.account_id for change in report.changes if change.account_id is not None]


async def _week_of_updates(
    service: TieringService, model: CompiledModel, ids: list[int], rng: random.Random
) -> None:
    actor = Actor(None, "CRM sync", Role.ADMIN, "demo", Channel.SYSTEM)
    for account in rng.sample(ids, UPDATES_PER_WEEK):
        await service.update_facts(actor, account, _nudge(model, rng))
    for account in rng.sample(ids, UPDATES_PER_WEEK // 2):
        await service.mark_reviewed(actor, account)


def _nudge(model: CompiledModel, rng: random.Random) -> dict[str, Any]:
    """A plausible weekly change: revenue grows or shrinks, orders come in, growth shifts."""
    changes: dict[str, FactValue] = {}
    if "revenue_growth" in model.fields:
        changes["revenue_growth"] = round(rng.uniform(-20, 60), 1)
    if "orders_per_year" in model.fields:
        changes["orders_per_year"] = float(rng.randint(1, 30))
    if "cumulative_revenue" in model.fields:
        changes["cumulative_revenue"] = float(round(rng.lognormvariate(15.5, 1.0), -3))
    return dict(facts_to_json(changes))
