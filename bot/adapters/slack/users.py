"""Who a Slack user is: real name and language, from users.info, cached per user.

Every request would otherwise cost a users.info call (Tier 4: about 100 per minute), and
a person's name and locale rarely change. Concurrent first requests from one user share
one lookup. A failed lookup is remembered briefly and the message goes on without a
locale: the core then uses the person's own setting or English.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import FAILURES

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0
FAILURE_TTL = 60.0


@dataclass(frozen=True, slots=True)
class SlackUser:
    real_name: str | None = None
    locale: str | None = None  # Slack's form, e.g. "en-US", "zh-CN"


class UserDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = DEFAULT_TTL,
        failure_ttl: float = FAILURE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, SlackUser]] = {}
        self._pending: dict[str, asyncio.Future[SlackUser]] = {}

    async def get(self, user_id: str) -> SlackUser:
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        pending = self._pending.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[SlackUser] = asyncio.get_running_loop().create_future()
        self._pending[user_id] = future
        try:
            user, ttl = await self._lookup(user_id)
            self._cache[user_id] = (self.clock() + ttl, user)
            future.set_result(user)
            return user
        finally:
            del self._pending[user_id]
            if not future.done():  # cancelled mid-lookup: let waiters go on without a locale
                future.set_result(SlackUser())

    async def _lookup(self, user_id: str) -> tuple[SlackUser, float]:
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except FAILURES as error:
            log.warning("users.info failed for %s: %s", user_id, error)
            return SlackUser(), self.failure_ttl
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = user.get("real_name") or profile.get("real_name") or user.get("name")
        return SlackUser(real_name=name or None, locale=user.get("locale") or None), self.ttl
