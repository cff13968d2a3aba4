"""Where each person is in a multi-step chat flow (e.g. qualifying a prospect), per chat.

State survives restarts and is shared by replicas; it expires after a quiet spell so a
half-finished flow does not capture someone's next unrelated message days later.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, select

from bot.service.context import ServiceContext, transaction
from bot.service.dialect import insert_for
from bot.store.enums import ChatPlatform
from bot.store.tables import ConversationState


def _key(platform: object, chat_id: object, user_id: object) -> Any:
    """Where one person's state in one chat is; the values may be bound parameters."""
    return (
        (ConversationState.platform == platform)
        & (ConversationState.chat_id == chat_id)
        & (ConversationState.user_id == user_id)
    )


async def load_state(
    ctx: ServiceContext, platform: str, chat_id: str, user_id: str
) -> tuple[str, dict[str, Any]] | None:
    """(flow, state), or None when there is none or it has expired."""
    key = {"platform": ChatPlatform(platform), "chat_id": chat_id, "user_id": user_id}
    # Asked for most messages: plain columns by the unique key, a quick read.
    rows = await ctx.database.quick_read(_state_query(), key)
    if not rows or rows[0].expires_at <= ctx.clock.now():
        return None
    return rows[0].flow, dict(rows[0].state)


@functools.cache
def _state_query() -> Select[str, dict[str, Any], datetime]:
    # Built once: building it costs more than running it.
    return select(
        ConversationState.flow, ConversationState.state, ConversationState.expires_at
    ).where(_key(bindparam("platform"), bindparam("chat_id"), bindparam("user_id")))


async def save_state(
    ctx: ServiceContext,
    platform: str,
    chat_id: str,
    user_id: str,
    flow: str,
    state: dict[str, Any],
) -> None:
    now = ctx.clock.now()
    values = {
        "platform": ChatPlatform(platform),
        "chat_id": chat_id,
        "user_id": user_id,
        "flow": flow,
        "state": state,
        "updated_at": now,
        "expires_at": now + ctx.conversation_timeout,
    }
    async with transaction(ctx.database) as session:
        insert = insert_for(session, ConversationState).values(values)
        # One statement, so two messages arriving together cannot both insert.
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=["platform", "chat_id", "user_id"],
                set_={
                    name: insert.excluded[name]
                    for name in ("flow", "state", "updated_at", "expires_at")
                },
            )
        )


async def clear_state(ctx: ServiceContext, platform: str, chat_id: str, user_id: str) -> None:
    async with transaction(ctx.database) as session:
        await session.execute(
            delete(ConversationState).where(_key(ChatPlatform(platform), chat_id, user_id))
        )


async def prune_states(ctx: ServiceContext) -> int:
    """Delete expired states; returns how many."""
    async with transaction(ctx.database) as session:
        result = await session.execute(
            delete(ConversationState).where(ConversationState.expires_at <= ctx.clock.now())
        )
    return int(getattr(result, "rowcount", 0) or 0)
