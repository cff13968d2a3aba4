"""Telegram webhook benchmark: from an update POSTed to the webhook to the reply sent.

Everything runs in this process on 127.0.0.1: a temporary SQLite database seeded with
accounts, tierbot's webhook server (python-telegram-bot's, with the secret token) and
FakeTelegram as the Bot API. Each of ``concurrency`` simulated people has a private
chat; each POSTs ``/tier <account>`` and waits for the answer before the next, the way
Telegram delivers one chat's updates. Latency runs from just before the POST to the
moment the reply arrives at the fake's ``sendMessage``; an error is a refused POST, a
reply that does not come within ``REPLY_TIMEOUT`` or one that is not the card asked for.

The flood limiter is off: Telegram's limits (about one message per second per chat and
30 per second per bot) would make the figures measure the limiter, not tierbot.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import os
import random
import re
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.telegram.bot import TelegramOptions, build_application
from bot.adapters.telegram.handlers import ConversationPort
from bot.adapters.telegram.runner import Webhook, serving
from bot.app import App, running_app
from bot.benchmarks.seed import company_name, seed_accounts
from bot.conversation.messages import (
    Button,
    Field,
    IncomingMessage,
    Reply,
    ReplyKind,
    Section,
)
from bot.service.actor import Actor
from bot.settings import Settings, load_settings
from bot.store.enums import Role
from bot.testing.databases import sqlite_url
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.recording_server import RecordedCall

TOKEN = "100000:tierbot-benchmark"
SECRET = "tierbot-benchmark-secret"
FIRST_USER_ID = 700_000
REPLY_TIMEOUT = 10.0  # seconds an update may take before it counts as an error
WARM_UP_PER_CHAT = 3  # unmeasured updates per chat first: caches, connections, compiled model

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TelegramFigures:
    accounts: int
    updates: int  # posted in the measured run
    errors: dict[str, int]  # kind -> count: "HTTP 403", "TimeoutError", a wrong reply's gist
    concurrency: int
    seconds: float  # first POST to last reply
    latencies_ms: tuple[float, ...] = field(repr=False)
    core_ms: tuple[float, ...] = field(repr=False)  # inside Conversation.handle, same updates
    stub_core: bool = False

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, fraction: float, *, core: bool = False) -> float:
        """A percentile of the end-to-end latency, or of the time spent in the core."""
        ordered = sorted(self.core_ms if core else self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


class _TimedConversation:
    """The conversation core, timed: shows how much of the latency is the adapter's."""

    def __init__(self, conversation: ConversationPort) -> None:
        self.conversation = conversation
        self.durations_ms: list[float] = []

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        started = time.perf_counter()
        try:
            return await self.conversation.handle(message)
        finally:
            self.durations_ms.append((time.perf_counter() - started) * 1000)


class _WatchedTelegram(FakeTelegram):
    """FakeTelegram that hands each chat's replies to whoever waits for them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.replies: dict[int, asyncio.Queue[RecordedCall]] = {}

    def _record(self, call: RecordedCall) -> None:
        super()._record(call)
        if call.method == "sendMessage":
            self.replies.setdefault(int(call.params["chat_id"]), asyncio.Queue()).put_nowait(call)


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_post: float = math.inf
    last_reply: float = 0.0


class _Chat:
    """One person in a private chat, sending ``/tier <name>`` and waiting for each answer."""

    def __init__(
        self, tg: _WatchedTelegram, session: aiohttp.ClientSession, url: str, user: int
    ) -> None:
        self.tg, self.session, self.url, self.user = tg, session, url, user
        self.replies = tg.replies.setdefault(user, asyncio.Queue())

    async def ask(self, name: str, tally: _Tally) -> None:
        while not self.replies.empty():  # a late answer to a question that timed out
            self.replies.get_nowait()
        body = json.dumps(self.tg.make_update(self.user, self.user, f"/tier {name}")).encode()
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        posted = time.monotonic()
        tally.first_post = min(tally.first_post, posted)
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
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


async def _drive(
    chats: list[_Chat], names: list[str], updates: int, deadline: float, rng: random.Random
) -> tuple[_Tally, int]:
    """Post ``updates`` questions from all chats at once; the tally and how many were posted."""
    tally = _Tally()
    remaining = iter(range(updates))
    posted = 0

    async def person(chat: _Chat) -> None:
        nonlocal posted
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            posted += 1
            await chat.ask(rng.choice(names), tally)

    await asyncio.gather(*(person(chat) for chat in chats))
    return tally, posted


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(directory: Path, tg: FakeTelegram) -> Settings:
    return load_settings(
        database_url=sqlite_url(directory),
        telegram_bot_token=TOKEN,
        telegram_api_url=tg.root_url,
        telegram_webhook_secret=SECRET,
        telegram_allowed_chats=[],
        default_role=None,
    )


async def _people(app: App, count: int) -> list[int]:
    users = [FIRST_USER_ID + n for n in range(count)]
    for user in users:
        await app.service.add_person(Actor.cli(), f"Rep {user}", Role.REP, telegram=str(user))
    return users


class _StubConversation:
    """Answers at once with a card of the usual size: measures the adapter's share alone."""

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        name = message.text.removeprefix("tier").strip()
        lines = tuple(f"Criterion {n}: a typical explanation of the points" for n in range(4))
        return [
            Reply(
                title=f"{name} · Tier B",
                kind=ReplyKind.CARD,
                fields=(
                    Field("Score", "71.5 / 100 · B"),
                    Field("Owner", "Rep"),
                    Field("Data", "90%"),
                ),
                sections=(Section("Top reasons", lines), Section("Playbook", lines[:2])),
                buttons=tuple(
                    Button(word.title(), f"{word} #1")
                    for word in ("why", "playbook", "history", "edit", "override")
                ),
            )
        ]


async def _names(app: App, accounts: int, seed: int, stub_core: bool) -> list[str]:
    if stub_core:  # nothing reads the database: the names alone will do
        return [company_name(n) for n in range(accounts)]
    return await seed_accounts(app, accounts, seed=seed)


async def _measure(
    tg: _WatchedTelegram,
    app: App,
    core: _TimedConversation,
    names: list[str],
    users: list[int],
    updates: int,
    max_seconds: float,
    rng: random.Random,
    say: Progress,
) -> tuple[_Tally, int]:
    port = _free_port()
    webhook = Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    options = replace(TelegramOptions.from_settings(app.settings), flood_limits=None)
    application = build_application(options, core, app.texts)
    async with serving(application, app.texts, webhook=webhook), aiohttp.ClientSession() as session:
        chats = [_Chat(tg, session, webhook.url, user) for user in users]
        say("warming up")
        await _drive(chats, names, WARM_UP_PER_CHAT * len(chats), math.inf, rng)
        say(f"measuring {updates:,} updates")
        core.durations_ms.clear()
        return await _drive(chats, names, updates, time.monotonic() + max_seconds, rng)


async def run(
    accounts: int,
    updates: int,
    concurrency: int,
    *,
    max_seconds: float = 120.0,
    seed: int = 7,
    stub_core: bool = False,
    progress: Progress | None = None,
) -> TelegramFigures:
    """Seed, serve, warm up, then measure ``updates`` updates (at most ``max_seconds``).

    ``stub_core``: answer with a canned card instead of the conversation core, to see
    how much of the time is the adapter's (python-telegram-bot, HTTP, rendering).
    """
    say = progress or (lambda _: None)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as the runner does
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="tierbot-telegram-bench-") as directory:
        async with (
            _WatchedTelegram(token=TOKEN) as tg,
            running_app(_settings(Path(directory), tg)) as app,
        ):
            say(f"seeding {accounts:,} accounts")
            names = await _names(app, accounts, seed, stub_core)
            users = await _people(app, concurrency)
            core = _TimedConversation(_StubConversation() if stub_core else app.conversation)
            tally, posted = await _measure(
                tg, app, core, names, users, updates, max_seconds, rng, say
            )
    return TelegramFigures(
        accounts=accounts,
        updates=posted,
        errors=dict(tally.errors),
        concurrency=concurrency,
        seconds=max(0.0, tally.last_reply - tally.first_post),
        latencies_ms=tuple(tally.latencies_ms),
        core_ms=tuple(core.durations_ms),
        stub_core=stub_core,
    )
