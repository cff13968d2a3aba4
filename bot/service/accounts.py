"""Finding accounts by what people type, and the tier card of one account."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import BindParameter, Integer, Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import convert
from bot.service import facts as stored_facts
from bot.service.context import ServiceContext
from bot.service.errors import AccountNotFound, AmbiguousAccount
from bot.service.views import AccountMatch, AccountSummary, Card, TierChangeView
from bot.store.reads import Reader
from bot.store.search import candidate_ids, exact_ids
from bot.store.sqlite_driver import quick_read
from bot.store.tables import Account, Person, TierChange
from scoring import CompiledModel, FactValue, ScoreResult, score, what_it_takes

EXACT = 100.0
CLEAR = 90.0  # a match this close is taken without asking...
MARGIN = 5.0  # ...when the next one is at least this much further away
CLOSE = CLEAR - MARGIN  # several matches this close, within MARGIN of each other: ask which
DID_YOU_MEAN = 60.0  # below this a name is too different to suggest
# The index ranks on name and aliases together; fetch more than asked so ranking on
# each one alone can reorder.
_CANDIDATE_FACTOR = 2
_MIN_CANDIDATES = 10
RECENT_CHANGES = 5
READ_MODEL_AGE = 2.0  # seconds a card may reuse the active-model lookup


async def load(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(str(account_id))
    return account


async def summary(session: AsyncSession, account: Account) -> AccountSummary:
    owner = None
    if account.owner_id is not None:
        owner = await session.scalar(select(Person.name).where(Person.id == account.owner_id))
    return convert.account_summary(account, owner)


async def find(
    ctx: ServiceContext, text: str, limit: int = 5, at_least: float = 0.0
) -> list[AccountMatch]:
    """Up to ``limit`` accounts ``text`` may mean, the most similar first, those less
    similar than ``at_least`` (0-100) left out."""
    wanted = max(limit * _CANDIDATE_FACTOR, _MIN_CANDIDATES)

    async def search(reader: Reader) -> tuple[list[int], Sequence[Any]]:
        ids = await candidate_ids(reader, text, wanted)
        if not ids:
            return ids, []
        # Matching needs no facts, and decoding them costs more than the query.
        given = {f"id{i}": ids[i] if i < len(ids) else None for i in range(wanted)}
        return ids, await reader.rows(_matches_query(wanted), given)

    ids, rows = await ctx.database.reading(search)
    matches = [AccountMatch(convert.summary_of_row(row), similarity(text, row)) for row in rows]
    matches = [match for match in matches if match.similarity >= at_least]
    order = {account_id: rank for rank, account_id in enumerate(ids)}
    matches.sort(key=lambda m: (-m.similarity, order[m.account.id]))
    return matches[:limit]


@functools.cache
def _matches_query(size: int) -> Select[*tuple[Any, ...]]:
    # A parameter per id, unused ones NULL: one statement for any number of ids, which
    # a quick read can prepare once (a list expanded at run time it cannot).
    by_id = Account.id.in_([bindparam(f"id{i}", type_=Integer) for i in range(size)])
    return quick_read(convert.summary_columns_query().where(by_id))  # a few rows by key


class Named(Protocol):
    """What similarity compares: an account, or a row of its columns."""

    name: str
    aliases: Sequence[str]
    external_id: str | None


def similarity(text: str, account: Named) -> float:
    """0-100: exact external id, name or alias (ignoring case and character width) is
    100; else fuzzy."""
    wanted = _folded(text)
    names = [_folded(name) for name in (account.name, *account.aliases)]
    if wanted == _folded(account.external_id or ""):
        return EXACT
    if wanted in names:
        return EXACT
    return max(fuzz.WRatio(wanted, name, processor=default_process) for name in names)


def _folded(text: str) -> str:
    # NFKC: "ＴＣＬ科技" as stored from a Chinese input method is "TCL科技" as typed.
    return unicodedata.normalize("NFKC", " ".join(text.split())).casefold()


async def exact(ctx: ServiceContext, text: str) -> AccountSummary | None:
    """The one account whose name or external id is exactly ``text`` (both indexed)."""
    row = await _exact_row(ctx, text)
    return None if row is None else convert.summary_of_row(row)


async def _exact_row(ctx: ServiceContext, text: str) -> Row[*tuple[Any, ...]] | None:
    """The :func:`_card_columns` of the one account named exactly ``text``, if one is."""
    # Two index lookups: a quick read.
    rows = await ctx.database.quick_read(_exact_query(), {"wanted": " ".join(text.split())})
    return rows[0] if len(rows) == 1 else None  # two accounts may share a name: then rank


@functools.cache
def _card_columns() -> Select[*tuple[Any, ...]]:
    """What a card shows of an account, as plain columns: its summary, its facts and
    its qualification as a prospect."""
    return convert.summary_columns_query().add_columns(Account.facts, Account.qualification)


@functools.cache
def _exact_query() -> Select[*tuple[Any, ...]]:
    # Built once: statements are immutable, and building one costs more than running it.
    wanted: BindParameter[str] = bindparam("wanted")
    return _card_columns().where(Account.id.in_(exact_ids(wanted))).limit(2)


async def resolve(ctx: ServiceContext, text: str) -> AccountSummary:
    found = await exact(ctx, text)
    return found if found is not None else await _ranked(ctx, text)


async def _ranked(ctx: ServiceContext, text: str) -> AccountSummary:
    """The account a fuzzy ``text`` clearly means; otherwise say which ones it might be."""
    matches = await find(ctx, text)
    if not matches:
        raise AccountNotFound(text)
    best = matches[0]
    runner_up = matches[1].similarity if len(matches) > 1 else 0.0
    if best.similarity >= CLEAR and best.similarity - runner_up >= MARGIN:
        return best.account
    close = [m.account for m in matches if m.similarity >= max(CLOSE, best.similarity - MARGIN)]
    if len(close) > 1:
        raise AmbiguousAccount(text, close)
    raise AccountNotFound(text, [m.account for m in matches if m.similarity >= DID_YOU_MEAN])


async def card(ctx: ServiceContext, account_id: int, locale: str = "en") -> Card:
    # A read of plain columns by primary key: a quick read, no session.
    rows = await ctx.database.quick_read(_card_query(), {"account_id": account_id})
    if not rows:
        raise AccountNotFound(str(account_id))
    return await _card_of_row(ctx, rows[0], locale)


async def named_card(ctx: ServiceContext, text: str, locale: str = "en") -> Card:
    """The card of the account ``text`` names, as :func:`resolve` finds it.

    An exact name or external id is read once, with everything the card shows of it.
    """
    row = await _exact_row(ctx, text)
    if row is not None:
        return await _card_of_row(ctx, row, locale)
    return await card(ctx, (await _ranked(ctx, text)).id, locale)


@functools.cache
def _card_query() -> Select[*tuple[Any, ...]]:
    return _card_columns().where(Account.id == bindparam("account_id"))


async def _card_of_row(ctx: ServiceContext, row: Row[*tuple[Any, ...]], locale: str) -> Card:
    """The card of a :func:`_card_columns` row."""
    model = await _read_model(ctx)
    facts = stored_facts.decode(model, row.facts)
    today = ctx.today()
    # As score_account does: hysteresis holds on to the tier the model gave last.
    result = score(model, facts, previous_tier=row.scored_tier, today=today)
    # Indexed by (account_id, changed_at): a quick read.
    changes = await ctx.database.quick_read(
        _recent_changes_query(RECENT_CHANGES), {"account_id": row.id}
    )
    return Card(
        account=convert.summary_of_row(row),
        facts=facts,
        model=model,
        result=result,
        plan=what_it_takes(model, facts, result=result, today=today),
        recent_changes=tuple(convert.tier_change_view(change) for change in changes),
        locale=locale,
        qualification=convert.qualification_view(row.qualification),
    )


async def _read_model(ctx: ServiceContext) -> CompiledModel:
    """The active model as a read may see it: looked up at most READ_MODEL_AGE ago."""
    recent = ctx.models.recent(READ_MODEL_AGE)
    if recent is not None:
        return recent.model  # no session: building one costs more than the lookup saves
    # The lookup goes through this session, by index in a small table; a session that
    # never began holds nothing, so only one that looked is closed.
    session = ctx.database.quick_read_session()
    try:
        return (await ctx.models.active(session, max_age=READ_MODEL_AGE)).model
    finally:
        if session.in_transaction():
            await session.close()


async def build_card(
    session: AsyncSession,
    ctx: ServiceContext,
    account: Account,
    model: CompiledModel,
    result: ScoreResult,
    locale: str = "en",
    known: AccountSummary | None = None,
    *,
    facts: Mapping[str, FactValue] | None = None,
) -> Card:
    """The card of ``account``; ``known`` saves a query when the caller has its summary,
    ``facts`` decoding the stored facts again when the caller has them."""
    if facts is None:
        facts = stored_facts.decode(model, account.facts)
    return Card(
        account=known or await summary(session, account),
        facts=facts,
        model=model,
        result=result,
        plan=what_it_takes(model, facts, result=result, today=ctx.today()),
        recent_changes=tuple(await recent_changes(session, account.id, RECENT_CHANGES)),
        locale=locale,
        qualification=convert.qualification_view(account.qualification),
    )


async def recent_changes(
    session: AsyncSession, account_id: int, limit: int
) -> Sequence[TierChangeView]:
    # Plain columns on the session's connection: no ORM objects to load. Flushing first
    # shows a change just added, as a query through the session would.
    await session.flush()
    connection = await session.connection()
    rows = await connection.execute(_recent_changes_query(limit), {"account_id": account_id})
    return [convert.tier_change_view(row) for row in rows]


@functools.cache
def _recent_changes_query(limit: int) -> Select[*tuple[Any, ...]]:
    return (
        convert.tier_changes_query()
        .where(TierChange.account_id == bindparam("account_id"))
        .order_by(TierChange.changed_at.desc(), TierChange.id.desc())
        .limit(limit)
    )
