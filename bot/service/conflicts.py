"""Explaining an edit conflict: which facts changed since the version someone saw, and by whom."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, audit
from bot.service.context import ServiceContext
from bot.service.errors import EditConflict
from bot.store.tables import Account


async def conflict(ctx: ServiceContext, account_id: int, seen_version: int) -> EditConflict:
    async with ctx.database.session() as session:
        account = await accounts.load(session, account_id)
        return await conflict_in(session, account, seen_version)


async def conflict_in(session: AsyncSession, account: Account, seen_version: int) -> EditConflict:
    newest_first = await audit.account_entries(session, account.id)
    since = [e for e in reversed(newest_first) if _version(e.after) > seen_version]
    seen: dict[str, Any] = next(
        (e.before["facts"] for e in since if e.before and "facts" in e.before), account.facts
    )
    now = account.facts
    changed = {
        name: (seen.get(name), now.get(name))
        for name in sorted({*seen, *now})
        if seen.get(name) != now.get(name)
    }
    by = ", ".join(await audit.actor_names(session, since)) or None
    return EditConflict(account.name, changed, by)


def _version(document: dict[str, Any] | None) -> int:
    return int((document or {}).get("version") or 0)
