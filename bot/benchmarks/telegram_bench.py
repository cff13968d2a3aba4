"""Telegram webhook benchmark: from an update POSTed to the webhook to the reply sent.

Two processes, as in production where Telegram is elsewhere, all on 127.0.0.1. This one
runs the app alone: a temporary SQLite database seeded with accounts and tierbot's
webhook server (with the secret token). A child process
(:mod:`bot.benchmarks.telegram_load`) plays Telegram: FakeTelegram as the Bot API, and
simulated people, each in a private chat, POSTing ``/tier <account>`` updates. Latency
runs from the update's moment to the reply arriving at the fake's ``sendMessage``, both
measured in the child; an error is a refused POST, a reply that does not come within
ten seconds or one that is not the card asked for. The time spent inside the
conversation core is measured here, for the same updates.

Two runs, because latency and capacity are different questions:

- **at a rate**: updates arrive on a fixed schedule (``rate`` per second, from as many
  chats, so each chat asks about once a second, Telegram's own pace for one chat),
  whether or not earlier ones were answered. Latency counts from the scheduled moment,
  so if the app falls behind, the backlog shows in p99 instead of slowing the senders
  down (the "coordinated omission" a closed loop suffers).
- **capacity**: ``concurrency`` chats each ask again as soon as answered: the most
  updates per second the app answers. Its latency is mostly queueing the load makes
  itself (with 16 questions always open, 200/s means 80 ms each on average), so it is
  reported, not held to the latency target.

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
# Unmeasured updates first (at least one per chat): caches, connections, compiled model.
WARM_UP_PER_CHAT = 3

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TelegramFigures:
    """One measured run: at a fixed ``rate``, or closed-loop (``rate`` None)."""

    updates: int  # posted in the measured run
    errors: dict[str, int]  # kind -> count: "HTTP 403", "TimeoutError", a wrong reply's gist
    chats: int
    rate: float | None  # updates per second offered, or None: each chat asks once answered
    seconds: float  # first POST to last reply
    latencies_ms: tuple[float, ...] = field(repr=False)
    core_ms: tuple[float, ...] = field(repr=False)  # inside Conversation.handle, same updates
    cpu_seconds: float = 0.0  # this process's, all threads, while the run went on

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.updates if self.updates else math.nan

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


@dataclass(frozen=True, slots=True)
class TelegramBench:
    accounts: int
    at_rate: TelegramFigures  # updates on a fixed schedule: the latency figures
    capacity: TelegramFigures  # chats asking again once answered: the most updates/s
    stub_core: bool = False


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


@dataclass(frozen=True, slots=True)
class _Plan:
    updates: int
    rate: float
    concurrency: int
    max_seconds: float

    @property
    def paced_chats(self) -> int:
        """About one question per chat per second, as Telegram paces one chat."""
        return max(1, math.ceil(self.rate))


def _figures(
    tally: Tally, core: _TimedConversation, chats: int, rate: float | None, cpu_seconds: float
) -> TelegramFigures:
    return TelegramFigures(
        updates=tally.posted,
        errors=dict(tally.errors),
        chats=chats,
        rate=rate,
        seconds=max(0.0, tally.last_reply - tally.first_post),
        latencies_ms=tuple(tally.latencies_ms),
        core_ms=tuple(core.durations_ms),
        cpu_seconds=cpu_seconds,
    )


async def _measure(
    load: LoadProcess,
    app: App,
    core: _TimedConversation,
    users: list[int],
    plan: _Plan,
    say: Progress,
) -> tuple[TelegramFigures, TelegramFigures]:
    port = _free_port()
    webhook = Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port)
    options = replace(TelegramOptions.from_settings(app.settings), flood_limits=None)
    application = build_application(options, core, app.texts)
    paced_chats = users[: plan.paced_chats]
    closed_chats = users[: plan.concurrency]
    async with serving(application, app.texts, webhook=webhook):
        say("warming up")
        warm_up = max(len(users), WARM_UP_PER_CHAT * plan.concurrency)
        await load.ask(Drive(webhook.url, users, warm_up))
        say(f"measuring {plan.updates:,} updates at {plan.rate:,.0f}/s")
        core.durations_ms.clear()
        cpu = time.process_time()
        paced: Tally = await load.ask(
            Drive(webhook.url, paced_chats, plan.updates, plan.max_seconds, plan.rate)
        )
        at_rate = _figures(paced, core, len(paced_chats), plan.rate, time.process_time() - cpu)
        say(f"measuring capacity: {plan.updates:,} updates from {plan.concurrency} chats")
        core.durations_ms.clear()
        cpu = time.process_time()
        closed: Tally = await load.ask(
            Drive(webhook.url, closed_chats, plan.updates, plan.max_seconds)
        )
        return at_rate, _figures(
            closed, core, len(closed_chats), None, time.process_time() - cpu
        )


async def run(
    accounts: int,
    updates: int,
    concurrency: int,
    *,
    rate: float = 200.0,
    max_seconds: float = 120.0,
    seed: int = 7,
    stub_core: bool = False,
    progress: Progress | None = None,
) -> TelegramBench:
    """Seed, serve, warm up, then measure ``updates`` updates at ``rate`` per second and
    ``updates`` more from ``concurrency`` chats asking again once answered (each run at
    most ``max_seconds``).

    ``stub_core``: answer with a canned card instead of the conversation core, to see
    how much of the time is the adapter's (python-telegram-bot, HTTP, rendering).
    """
    say = progress or (lambda _: None)
    plan = _Plan(updates, rate, concurrency, max_seconds)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as the runner does
    with tempfile.TemporaryDirectory(prefix="tierbot-telegram-bench-") as directory:
        async with LoadProcess("bot.benchmarks.telegram_load") as load:
            api_url: str = await load.ask(Start(TOKEN, SECRET, seed))
            async with running_app(_settings(Path(directory), api_url)) as app:
                say(f"seeding {accounts:,} accounts")
                await load.ask(UseNames(await _names(app, accounts, seed, stub_core)))
                users = await _people(app, max(concurrency, plan.paced_chats))
                core = _TimedConversation(_StubConversation() if stub_core else app.conversation)
                at_rate, capacity = await _measure(load, app, core, users, plan, say)
    return TelegramBench(accounts, at_rate, capacity, stub_core)
