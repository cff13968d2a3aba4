"""Telegram's flood limits, applied before a request leaves instead of after a 429.

Telegram does not publish exact limits; its FAQ asks for about 30 messages per second
overall, 20 per minute in one group, and no more than about one per second in one chat.
``AIORateLimiter`` covers the first two and retries ``RetryAfter``; :class:`FloodLimiter`
adds the per-chat limit in front of it. The per-chat bucket lets a short burst through
(a reply split into three messages goes out at once) and holds the average to the rate.
Requests without a ``chat_id`` (getUpdates, answerCallbackQuery, setMyCommands) are
not limited.

The limits live in this process: several replicas each apply them separately.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter, BaseRateLimiter

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
# Idle per-chat buckets are dropped beyond this many, so memory stays bounded.
_MAX_IDLE_BUCKETS = 1024


@dataclass(frozen=True, slots=True)
class FloodLimits:
    overall_per_second: float = 30
    group_per_minute: float = 20
    chat_per_second: float = 1.0
    chat_burst: int = 3  # messages one chat may get at once before the rate applies
    max_retries: int = 3  # of a request Telegram answered with RetryAfter


TELEGRAM_FLOOD_LIMITS = FloodLimits()


class FloodLimiter(BaseRateLimiter[int]):
    """Per-chat limit + ``AIORateLimiter`` (overall, per group, ``RetryAfter`` retries)."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        limits = limits or FloodLimits()
        self._inner = AIORateLimiter(
            overall_max_rate=limits.overall_per_second,
            overall_time_period=1,
            group_max_rate=limits.group_per_minute,
            group_time_period=60,
            max_retries=limits.max_retries,
        )
        self._chat_burst = limits.chat_burst
        self._chat_period = limits.chat_burst / limits.chat_per_second
        self._chats: dict[str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await self._inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self._bucket(str(chat_id)):
            return await self._inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

    def _bucket(self, chat: str) -> AsyncLimiter:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= _MAX_IDLE_BUCKETS:
                self._drop_idle()
            bucket = self._chats[chat] = AsyncLimiter(self._chat_burst, self._chat_period)
        return bucket

    def _drop_idle(self) -> None:
        for chat, bucket in list(self._chats.items()):
            if bucket.has_capacity(bucket.max_rate):  # empty: no recent request in that chat
                del self._chats[chat]
