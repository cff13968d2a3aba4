"""Importing accounts from a file in bulk: check every row, then upsert by external id.

Every row is checked against the active model and the people before anything is written
(:mod:`bot.service.import_checks`), and every problem names its row and column. By
default one bad row stops the whole import; with ``skip_invalid`` the good rows go in
and the bad ones are reported.

Rows are matched to stored accounts by external id: new ones are created, stored ones
change only where the file says something different, so importing the same file twice
changes nothing the second time. An empty cell leaves what is stored as it is: imports
add and correct, they never erase.

One file is one transaction, so an import is all or nothing (with ``skip_invalid`` too,
should writing fail). Checking and scoring run in memory and in bulk, and each table is
written with one statement per batch of rows, so 100,000 rows take seconds; on SQLite
the write lock is held for those seconds, and chat updates wait for it.

Imports queue no alerts unless asked (``notify``): a first grade or a CRM sync is not
news to anyone. Tier changes and history are recorded either way, with cause "import".
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import import_plan, search_index
from bot.service.actor import Actor
from bot.service.bulk import (
    add_audit,
    add_moves,
    copy_to_history,
    id_chunks,
    insert_many,
    lock_for_writing,
    update_many,
)
from bot.service.context import ServiceContext, transaction
from bot.service.errors import InvalidInput
from bot.service.import_checks import (
    CheckedRow,
    ImportRow,
    People,
    Progress,
    check_rows,
    unknown_columns,
)
from bot.service.import_plan import Plan, Planned, json_text
from bot.service.permissions import require_manager
from bot.service.views import ImportChange, ImportReport
from bot.store.enums import ScoreCause
from bot.store.name_index import index_accounts_of
from bot.store.tables import Account, Person
from scoring import CompiledModel, Problem

_ACCOUNTS = cast(Table, Account.__table__)
_CHUNK = 5_000  # ids per IN (...) list: far below every driver's parameter limit
# Rows from which an import merges the whole name index (seconds at a million
# accounts) instead of a housekeeping slice.
BULK_IMPORT = 10_000
# The columns of a newly created account row, in the order rows give them.
CREATED_COLUMNS = (
    "external_id",
    "name",
    "owner_id",
    "aliases",
    "lifecycle_stage",
    "facts",
    "score",
    "sub_scores",
    "scored_tier",
    "tier",
    "tier_since",
    "model_name",
    "model_version",
    "completeness",
    "created_at",
    "updated_at",
    "version",
)
_UPDATED = tuple(c for c in CREATED_COLUMNS if c not in ("external_id", "created_at"))
_OVERRIDES = ("override_tier", "override_reason", "override_by_id", "override_until")
# What is read back to compare: every stored column a re-import may change, plus overrides.
_STORED = ("id", *CREATED_COLUMNS[: CREATED_COLUMNS.index("created_at")], *_OVERRIDES, "version")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    source: str  # the file's name, as problems and audit entries name it
    dry_run: bool = False
    skip_invalid: bool = False
    notify: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # column -> the file's name


async def import_accounts(
    ctx: ServiceContext,
    actor: Actor,
    rows: Sequence[ImportRow],
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    require_manager(actor)
    started = time.perf_counter()
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session)).model
        people = await _people(session)
    _refuse_unknown_columns(model, rows, options)
    checked, problems = check_rows(model, people, rows, ctx.today(), options.headers, progress)
    if problems and not options.skip_invalid:
        raise InvalidInput(options.source, [Problem(p.path, p.message) for p in problems])
    try:
        plan = await _upsert(ctx, actor, model, people, checked, options, progress)
    except IntegrityError:
        # Checked against the stored ids, but another import may add the same ids meanwhile.
        message = "another import added some of these external ids meanwhile; run it again"
        raise InvalidInput(options.source, [Problem("external_id", message)]) from None
    return _report(model, plan, len(rows), problems, options, time.perf_counter() - started)


async def _people(session: AsyncSession) -> People:
    ids: dict[str, int] = {}
    names: dict[int, str] = {}
    for person_id, name, email in await session.execute(
        select(Person.id, Person.name, Person.email).order_by(Person.id)
    ):
        names[person_id] = name
        ids.setdefault(name.casefold(), person_id)
        if email:
            ids.setdefault(email.strip().casefold(), person_id)
    return People(ids, names)


def _refuse_unknown_columns(
    model: CompiledModel, rows: Sequence[ImportRow], options: ImportOptions
) -> None:
    unknown = unknown_columns(model, rows)
    if unknown:
        message = f"not an account column or a field of the model {model.name}"
        problems = [Problem(f"column {options.headers.get(c, c)}", message) for c in unknown]
        raise InvalidInput(options.source, problems)


async def _upsert(
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    people: People,
    checked: list[CheckedRow],
    options: ImportOptions,
    progress: Progress | None,
) -> Plan:
    now = ctx.clock.now()
    async with _unit_of_work(ctx, options.dry_run) as session:
        stored = await _stored(session, [row.external_id for row in checked])
        plan = import_plan.plan(model, people, checked, stored, ctx.today(), options.source)
        if not options.dry_run:
            await _write(session, ctx, actor, model, plan, now, options, progress)
    if not options.dry_run:
        # Many new names leave the name index in many small pieces: merge them now
        # rather than slow every lookup until housekeeping catches up.
        await search_index.tidy(ctx, thorough=len(checked) >= BULK_IMPORT)
    return plan


@asynccontextmanager
async def _unit_of_work(ctx: ServiceContext, dry_run: bool) -> AsyncIterator[AsyncSession]:
    """A session that commits, or for a dry run one that is rolled back (never written)."""
    if dry_run:
        async with ctx.database.session() as session:
            yield session
        return
    async with transaction(ctx.database) as session:
        await lock_for_writing(session)
        yield session


async def _stored(session: AsyncSession, external_ids: list[str]) -> dict[str, Row[Any]]:
    columns = [_ACCOUNTS.c[name] for name in _STORED]
    found: dict[str, Row[Any]] = {}
    for start in range(0, len(external_ids), _CHUNK):
        chunk = external_ids[start : start + _CHUNK]
        # FOR UPDATE (PostgreSQL; SQLite already holds the write lock) keeps the rows as read.
        query = select(*columns).where(_ACCOUNTS.c.external_id.in_(chunk)).with_for_update()
        found.update((row.external_id, row) for row in await session.execute(query))
    return found


async def _write(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    plan: Plan,
    now: datetime,
    options: ImportOptions,
    progress: Progress | None,
) -> None:
    steps = 5
    step = _stepper(progress, steps)
    created = [p for p in plan.changes if p.stored is None]
    updated = [p for p in plan.changes if p.stored is not None]
    await insert_many(session, _ACCOUNTS, CREATED_COLUMNS, [_created_row(p, now) for p in created])
    ids = await _ids(session, [p.checked.external_id for p in created])
    for planned in created:
        planned.account_id = ids[planned.checked.external_id]
    step()
    await update_many(session, _ACCOUNTS, "id", _UPDATED, [_updated_row(p, now) for p in updated])
    await _index_names(session, created, updated)
    step()
    rescored = [p.account_id for p in plan.changes if p.scores is not None]
    for chunk in id_chunks(rescored):
        await copy_to_history(session, chunk, model, ScoreCause.IMPORT, now)
    step()
    entries = [(p.account_id, p.before(), p.after(options.source)) for p in plan.changes]
    await add_audit(session, actor, "import", entries, now)
    step()
    moves = [p.move(options.source) for p in plan.changes if p.tier_moved]
    await add_moves(
        session, ctx, actor, model, moves, cause=ScoreCause.IMPORT, notify=options.notify
    )
    step()


def _stepper(progress: Progress | None, steps: int) -> Callable[[], None]:
    """Reports one more of ``steps`` writing steps done."""
    done = iter(range(1, steps + 1))

    def step() -> None:
        finished = next(done)
        if progress is not None:
            progress("writing", finished, steps)

    return step


async def _ids(session: AsyncSession, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), _CHUNK):
        chunk = external_ids[start : start + _CHUNK]
        query = select(_ACCOUNTS.c.external_id, _ACCOUNTS.c.id).where(
            _ACCOUNTS.c.external_id.in_(chunk)
        )
        found.update((row.external_id, row.id) for row in await session.execute(query))
    return found


async def _index_names(
    session: AsyncSession, created: Sequence[Planned], updated: Sequence[Planned]
) -> None:
    await index_accounts_of(
        session, [(p.account_id, p.name, p.aliases) for p in created], new=True
    )
    renamed = [
        p
        for p in updated
        if p.stored is not None
        and (p.stored.name != p.name or list(p.stored.aliases) != list(p.aliases))
    ]
    await index_accounts_of(session, [(p.account_id, p.name, p.aliases) for p in renamed])


def _created_row(p: Planned, now: datetime) -> tuple[Any, ...]:
    scores = p.scores
    assert scores is not None  # a new account is always scored
    return (
        p.checked.external_id,
        p.name,
        p.owner_id,
        json_text(list(p.aliases)),
        p.stage,
        json_text(p.facts),
        scores.score,
        scores.sub_scores,
        scores.scored_tier,
        p.tier,
        now,
        scores.model_name,
        scores.model_version,
        scores.completeness,
        now,
        now,
        1,
    )


def _updated_row(p: Planned, now: datetime) -> tuple[Any, ...]:
    stored = p.stored
    assert stored is not None
    scores = p.scores
    return (
        p.name,
        p.owner_id,
        json_text(list(p.aliases)),
        p.stage,
        json_text(p.facts),
        scores.score if scores else stored.score,
        scores.sub_scores if scores else json_text(stored.sub_scores),
        scores.scored_tier if scores else stored.scored_tier,
        p.tier,
        now if p.tier_moved else stored.tier_since,
        scores.model_name if scores else stored.model_name,
        scores.model_version if scores else stored.model_version,
        scores.completeness if scores else stored.completeness,
        now,
        stored.version + 1,  # Core statements bump the version themselves (see tables.py)
        stored.id,
    )


def _report(
    model: CompiledModel,
    plan: Plan,
    rows: int,
    problems: Sequence[Any],
    options: ImportOptions,
    seconds: float,
) -> ImportReport:
    created = [p for p in plan.changes if p.stored is None]
    ranks = [
        (model.tier_rank(p.stored.tier), model.tier_rank(p.tier))
        for p in plan.changes
        if p.stored is not None and p.tier_moved
    ]
    return ImportReport(
        source=options.source,
        rows=rows,
        created=len(created),
        updated=len(plan.changes) - len(created),
        unchanged=plan.unchanged,
        skipped=tuple(problems),
        up=sum(1 for old, new in ranks if old is not None and new is not None and new < old),
        down=sum(1 for old, new in ranks if old is not None and new is not None and new > old),
        new_tiers=dict(Counter(p.tier or "-" for p in created)),
        changes=tuple(_change(p) for p in plan.changes),
        dry_run=options.dry_run,
        seconds=seconds,
    )


def _change(p: Planned) -> ImportChange:
    stored = p.stored
    return ImportChange(
        row=p.checked.row,
        account_id=p.account_id or None,
        external_id=p.checked.external_id,
        name=p.name,
        created=stored is None,
        fields=p.fields,
        old_tier=stored.tier if stored is not None else None,
        new_tier=p.tier,
        old_score=stored.score if stored is not None else None,
        new_score=p.scores.score if p.scores is not None else (stored.score if stored else None),
    )
