"""The load side of the Telegram benchmark, run in its own process (see ``load_process``).

It plays Telegram: a FakeTelegram serves the Bot API, and each simulated person has a
private chat, POSTs ``/tier <account>`` updates to the app's webhook and waits for the
answer before the next, the way Telegram delivers one chat's updates. Latency runs from
just before the POST to the moment the reply arrives at the fake's ``sendMessage``, both
seen here (``time.monotonic`` is the same clock in every process). An error is a refused
POST, a reply that does not come within :data:`REPLY_TIMEOUT` or one that is not the
card asked for.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.benchmarks.load_process import Handler
from bot.benchmarks.pacing import due_times
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.recording_server import RecordedCall

REPLY_TIMEOUT = 10.0  # seconds an update may take before it counts as an error


@dataclass(frozen=True)
class Start:
    """Answered with the fake Bot API's root URL, for the app's settings."""

    token: str  # the bot's
    webhook_secret: str
    seed: int  # of the random choice of accounts


@dataclass(frozen=True)
class UseNames:
    """The account names people ask for, once the app's database holds them."""

    names: list[str]


@dataclass(frozen=True)
class Drive:
    """Post ``updates`` questions from the chats of ``users`` to the webhook at ``url``,
    none after ``max_seconds``; answered with a Tally.

    Without a ``rate`` every chat asks its next question as soon as its last is answered
    (as many in flight as there are chats: the most the app can take). With a ``rate``
    the questions are posted on a fixed schedule, that many per second in turn from the
    chats, whether or not earlier ones were answered, the way independent people ask;
    a chat whose last question is still open posts when it is answered, and the latency
    still counts from the scheduled moment, so a backlog shows in the figures.
    """

    url: str
    users: list[int]
    updates: int
    max_seconds: float = math.inf
    rate: float | None = None  # questions per second, or None: ask again once answered


@dataclass
class Tally:
    posted: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_post: float = math.inf
    last_reply: float = 0.0


class _WatchedTelegram(FakeTelegram):
    """FakeTelegram that hands each chat's replies to whoever waits for them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.replies: dict[int, asyncio.Queue[RecordedCall]] = {}

    def _record(self, call: RecordedCall) -> None:
        super()._record(call)
        if call.method == "sendMessage":
            self.replies.setdefault(int(call.params["chat_id"]), asyncio.Queue()).put_nowait(call)


class _Chat:
    """One person in a private chat, sending ``/tier <name>`` and waiting for each answer."""

    def __init__(
        self, tg: _WatchedTelegram, session: aiohttp.ClientSession, url: str, user: int, secret: str
    ) -> None:
        self.tg, self.session, self.url, self.user = tg, session, url, user
        self.headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": secret,
        }
        self.replies = tg.replies.setdefault(user, asyncio.Queue())
        self.turn = asyncio.Lock()  # one open question per chat, as Telegram delivers them

    async def ask(self, name: str, tally: Tally, scheduled: float | None = None) -> None:
        """Ask for ``name``'s card; latency from ``scheduled`` if given, else from posting."""
        async with self.turn:
            await self._ask(name, tally, scheduled)

    async def _ask(self, name: str, tally: Tally, scheduled: float | None) -> None:
        while not self.replies.empty():  # a late answer to a question that timed out
            self.replies.get_nowait()
        body = json.dumps(self.tg.make_update(self.user, self.user, f"/tier {name}")).encode()
        posted = time.monotonic() if scheduled is None else scheduled
        tally.first_post = min(tally.first_post, posted)
        try:
            async with self.session.post(self.url, data=body, headers=self.headers) as response:
                if response.status != 200:
                    tally.errors[f"HTTP {response.status}"] += 1
                    return
            reply = await asyncio.wait_for(self.replies.get(), REPLY_TIMEOUT)
        except (aiohttp.ClientError, TimeoutError) as error:
            tally.errors[type(error).__name__] += 1
            return
        if not str(reply.params["text"]).startswith(f"<b>{html.escape(name)}"):
            tally.errors[_gist(str(reply.params["text"]))] += 1
            return
        tally.latencies_ms.append((reply.time - posted) * 1000)
        tally.last_reply = max(tally.last_reply, reply.time)


def _gist(html_text: str) -> str:
    """A wrong answer's first line without names or numbers, so alike ones count together."""
    first = re.sub(r"<[^>]+>", "", html_text.split("\n", 1)[0])
    return re.sub(r"“[^”]*”|\d+", "…", html.unescape(first))[:80]


async def _drive(chats: list[_Chat], names: list[str], order: Drive, rng: random.Random) -> Tally:
    """Post the questions from all chats; the tally counts how many were posted."""
    if order.rate is not None:
        return await _drive_at_rate(chats, names, order, order.rate, rng)
    tally = Tally()
    remaining = iter(range(order.updates))
    deadline = time.monotonic() + order.max_seconds

    async def person(chat: _Chat) -> None:
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            tally.posted += 1
            await chat.ask(rng.choice(names), tally)

    await asyncio.gather(*(person(chat) for chat in chats))
    return tally


async def _drive_at_rate(
    chats: list[_Chat], names: list[str], order: Drive, rate: float, rng: random.Random
) -> Tally:
    """Post question i at ``start + i / rate`` from chat ``i mod len(chats)``."""
    tally = Tally()
    asked: list[asyncio.Task[None]] = []
    async for due in due_times(order.updates, rate, order.max_seconds):
        chat = chats[tally.posted % len(chats)]
        tally.posted += 1
        asked.append(asyncio.create_task(chat.ask(rng.choice(names), tally, due)))
    await asyncio.gather(*asked)
    return tally


class _Load:
    """The fake Bot API, started once the token is known, and the people asking."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.telegram: _WatchedTelegram | None = None
        self.secret = ""
        self.names: list[str] = []
        self.rng = random.Random()

    async def handle(self, request: Any) -> Any:
        match request:
            case Start(token, secret, seed) if self.telegram is None:
                self.telegram = await _WatchedTelegram(token=token).start()
                self.secret, self.rng = secret, random.Random(seed)
                return self.telegram.root_url
            case UseNames(names):
                self.names = names
                return None
            case Drive(url, users) if self.telegram is not None:
                chats = [_Chat(self.telegram, self.session, url, u, self.secret) for u in users]
                return await _drive(chats, self.names, request, self.rng)
        raise ValueError(f"unexpected request {request!r}")

    async def close(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()


@asynccontextmanager
async def open_load() -> AsyncIterator[Handler]:
    """The fake Bot API and the people; answers Start, UseNames and Drive requests."""
    async with aiohttp.ClientSession() as session:
        load = _Load(session)
        try:
            yield load.handle
        finally:
            await load.close()
