"""Telegram webhook benchmark: from an update POSTed to the webhook to the reply sent.

Two processes, as in production where Telegram is elsewhere, all on 127.0.0.1. This one
runs the app alone: a temporary SQLite database seeded with accounts and tierbot's
webhook server (python-telegram-bot's, with the secret token). A child process
(:mod:`bot.benchmarks.telegram_load`) plays Telegram: FakeTelegram as the Bot API, and
``concurrency`` simulated people, each in a private chat, each POSTing ``/tier <account>``
and waiting for the answer before the next, the way Telegram delivers one chat's
updates. Latency runs from just before the POST to the moment the reply arrives at the
fake's ``sendMessage``, both measured in the child; an error is a refused POST, a reply
that does not come within ten seconds or one that is not the card asked for. The
time spent inside the conversation core is measured here, for the same updates.

The flood limiter is off: Telegram's limits (about one message per second per chat and
30 per second per bot) would make the figures measure the limiter, not tierbot.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.adapters.telegram.bot import TelegramOptions, build_application
from bot.adapters.telegram.handlers import ConversationPort
from bot.adapters.telegram.runner import Webhook, serving
from bot.app import App, running_app
from bot.benchmarks.load_process import LoadProcess
from bot.benchmarks.seed import company_name, seed_accounts
from bot.benchmarks.telegram_load import Drive, Start, Tally, UseNames
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

TOKEN = "100000:tierbot-benchmark"
SECRET = "tierbot-benchmark-secret"
FIRST_USER_ID = 700_000
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(directory: Path, api_url: str) -> Settings:
    return load_settings(
        database_url=sqlite_url(directory),
        telegram_bot_token=TOKEN,
        telegram_api_url=api_url,
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
    load: LoadProcess,
    app: App,
    core: _TimedConversation,
    users: list[int],
    updates: int,
    max_seconds: float,
    say: Progress,
) -> Tally:
    port = _free_port()
    webhook = Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    options = replace(TelegramOptions.from_settings(app.settings), flood_limits=None)
    application = build_application(options, core, app.texts)
    async with serving(application, app.texts, webhook=webhook):
        say("warming up")
        await load.ask(Drive(webhook.url, users, WARM_UP_PER_CHAT * len(users)))
        say(f"measuring {updates:,} updates")
        core.durations_ms.clear()
        tally: Tally = await load.ask(Drive(webhook.url, users, updates, max_seconds))
        return tally


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
    with tempfile.TemporaryDirectory(prefix="tierbot-telegram-bench-") as directory:
        async with LoadProcess("bot.benchmarks.telegram_load") as load:
            api_url: str = await load.ask(Start(TOKEN, SECRET, seed))
            async with running_app(_settings(Path(directory), api_url)) as app:
                say(f"seeding {accounts:,} accounts")
                await load.ask(UseNames(await _names(app, accounts, seed, stub_core)))
                users = await _people(app, concurrency)
                core = _TimedConversation(_StubConversation() if stub_core else app.conversation)
                tally = await _measure(load, app, core, users, updates, max_seconds, say)
    return TelegramFigures(
        accounts=accounts,
        updates=tally.posted,
        errors=dict(tally.errors),
        concurrency=concurrency,
        seconds=max(0.0, tally.last_reply - tally.first_post),
        latencies_ms=tuple(tally.latencies_ms),
        core_ms=tuple(core.durations_ms),
        stub_core=stub_core,
    )
