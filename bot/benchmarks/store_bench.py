"""``tierbot bench store``: the accounts store at scale, on a throwaway database.

One run seeds the accounts, then measures side by side:

(a) rescoring every account after a model change, through the service's activation
    path (read, score, write the changed ones, record tier changes and history);
(b) one plain SQL UPDATE computing the same scores inside the database (see
    :mod:`bot.benchmarks.sql_scoring`), in a transaction that is rolled back; its
    scores are compared with the service's on a sample, so the comparison is honest;
(c) fuzzy lookup latency over queries with realistic typos and partial names;
(d) the peak memory of the whole run;
(e) the daily re-grade as it runs the day after: every account read and scored as of
    tomorrow, those whose dated facts crossed a band written with history.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.heap import settle_after_startup
from bot.app import App, build_service, running_app
from bot.benchmarks.names import NAME_SETS, lookup_queries
from bot.benchmarks.sql_scoring import update_statement
from bot.benchmarks.store_seed import seed_store
from bot.clock import ManualClock
from bot.model_files import read_model_text
from bot.service.actor import Actor
from bot.service.rescoring import Tally
from bot.settings import load_settings
from bot.store.tables import Account
from bot.testing.databases import sqlite_url, temporary_postgres_database

TARGET_RATIO = 2.0  # full rescore <= 2x the plain SQL pass
TARGET_P99_MS = 5.0
TARGET_PEAK_MB = 500.0
SAMPLE = 2_000
LOOKUPS = 2_000
# A lookup far slower than its target should not keep a million-account run going for an
# hour: stop after this long and report the queries made.
LOOKUP_SECONDS = 60.0
# The yardstick's scores must be the service's, to the last bit but the float round trip.
SAME_SCORE = 1e-9

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class StoreFigures:
    accounts: int
    names: str  # which NAME_SETS the accounts were named from
    dialect: str
    model: str  # the changed model rescored with, e.g. "default v2"
    seed_seconds: float
    rescore_seconds: float
    changed: int  # accounts whose model tier changed
    up: int
    down: int
    sql_seconds: float
    sample: int
    disagreements: int  # sampled accounts whose SQL score or tier differs from the service's
    lookups: int
    lookup_p50_ms: float
    lookup_p99_ms: float
    regrade_seconds: float
    regraded: int  # accounts whose score moved a day on
    regrade_changed: int  # ...and whose tier moved
    peak_mb: float

    @property
    def ratio(self) -> float:
        return self.rescore_seconds / self.sql_seconds


def changed_model_text() -> str:
    """The shipped default model, version 2: A from 72, B from 58, growth weighted 30 not 40."""
    data: dict[str, Any] = yaml.safe_load(read_model_text("default")[0])
    data["version"] += 1
    minimums = {"A": 72, "B": 58}
    for tier in data["tiers"]:
        if tier["name"] in minimums:
            tier["min"] = minimums[tier["name"]]
    growth = next(c for c in data["criteria"] if c["field"] == "revenue_growth")
    growth["weight"] = 30
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def run(
    accounts: int,
    database_url: str | None = None,
    progress: Progress | None = None,
    names: str = "realistic",
) -> StoreFigures:
    report: Progress = progress or (lambda phase, done, total: None)
    async with _throwaway(database_url) as url:
        settings = load_settings(database_url=url, model="default")
        async with running_app(settings) as app:
            started = time.perf_counter()
            await seed_store(
                app,
                accounts,
                names=NAME_SETS[names],
                progress=lambda done: report("seed", done, accounts),
            )
            seeded = time.perf_counter() - started
            return await _measure(app, accounts, names, seeded, report)


@asynccontextmanager
async def _throwaway(database_url: str | None) -> AsyncIterator[str]:
    """A new SQLite file, or a new database on the PostgreSQL server at ``database_url``."""
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as directory:
            yield sqlite_url(Path(directory))
        return
    async with temporary_postgres_database(database_url) as url:
        yield url


async def _measure(
    app: App, accounts: int, names: str, seeded: float, report: Progress
) -> StoreFigures:
    model_text = changed_model_text()
    model = app.service.compile_model(model_text, "bench-default-v2.yaml")
    sample = random.Random(11).sample(range(1, accounts + 1), min(SAMPLE, accounts))
    report("plain SQL update", 0, 1)
    sql_seconds, by_sql = await _sql_pass(app, model_text, sample)
    report("plain SQL update", 1, 1)
    started = time.perf_counter()
    activation = await app.service.activate_model(
        Actor.cli(),
        model_text,
        "bench-default-v2.yaml",
        progress=lambda done, total: report("rescore", done, total),
    )
    rescore_seconds = time.perf_counter() - started
    by_service = await _scores(app, sample)
    latencies = await _lookups(app, accounts, names, report)
    regrade_seconds, regraded = await _regrade_tomorrow(app, report)
    return StoreFigures(
        accounts=accounts,
        names=names,
        dialect=app.database.dialect,
        model=f"{model.name} v{model.version}",
        seed_seconds=seeded,
        rescore_seconds=rescore_seconds,
        changed=activation.changed,
        up=activation.up,
        down=activation.down,
        sql_seconds=sql_seconds,
        sample=len(sample),
        disagreements=_disagreements(by_sql, by_service),
        lookups=len(latencies),
        lookup_p50_ms=_percentile(latencies, 0.50),
        lookup_p99_ms=_percentile(latencies, 0.99),
        regrade_seconds=regrade_seconds,
        regraded=regraded.rescored,
        regrade_changed=regraded.changed,
        peak_mb=peak_memory_mb(),
    )


async def _regrade_tomorrow(app: App, report: Progress) -> tuple[float, Tally]:
    """The daily pass as it runs a day later, when some last orders crossed a band."""
    tomorrow = ManualClock(app.clock.now() + timedelta(days=1))
    service = build_service(app.settings, app.database, tomorrow)
    started = time.perf_counter()
    tally = await service.regrade(
        Actor.cli(), progress=lambda done, total: report("re-grade", done, total)
    )
    return time.perf_counter() - started, tally


Scores = dict[int, tuple[float | None, str | None]]


async def _sql_pass(app: App, model_text: str, sample: list[int]) -> tuple[float, Scores]:
    """Time the plain UPDATE, read what it gave the sample, and roll it all back."""
    model = app.service.compile_model(model_text, "bench-default-v2.yaml")
    statement = text(update_statement(model, app.database.dialect, app.clock.now().date()))
    async with app.database.session() as session:
        started = time.perf_counter()
        await session.execute(statement)
        seconds = time.perf_counter() - started
        scores = await _read_scores(session, sample)
        await session.rollback()
    return seconds, scores


async def _scores(app: App, sample: list[int]) -> Scores:
    async with app.database.session() as session:
        return await _read_scores(session, sample)


async def _read_scores(session: AsyncSession, sample: list[int]) -> Scores:
    query = select(Account.id, Account.score, Account.scored_tier).where(Account.id.in_(sample))
    return {row.id: (row.score, row.scored_tier) for row in await session.execute(query)}


def _disagreements(by_sql: Scores, by_service: Scores) -> int:
    return sum(
        not _same(scores, by_service.get(account_id, (None, None)))
        for account_id, scores in by_sql.items()
    ) + len(by_service.keys() - by_sql.keys())


def _same(one: tuple[float | None, str | None], other: tuple[float | None, str | None]) -> bool:
    (score, tier), (other_score, other_tier) = one, other
    if score is None or other_score is None:
        return False
    return abs(score - other_score) <= SAME_SCORE and tier == other_tier


async def _lookups(app: App, accounts: int, names: str, report: Progress) -> list[float]:
    queries = lookup_queries(names, LOOKUPS, accounts, random.Random(5))
    for query in queries[:20]:  # connections and caches are warm before measuring
        await app.service.find_accounts(query)
    # As a chat server settles its heap once started: what seeding and rescoring left for
    # the collector is collected now, and every full collection would walk the rest.
    settle_after_startup()
    latencies: list[float] = []
    deadline = time.perf_counter() + LOOKUP_SECONDS
    for query in queries:
        began = time.perf_counter()
        await app.service.find_accounts(query)
        latencies.append((time.perf_counter() - began) * 1000)
        report("lookups", len(latencies), len(queries))
        if time.perf_counter() > deadline:
            break
    return latencies


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def peak_memory_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
