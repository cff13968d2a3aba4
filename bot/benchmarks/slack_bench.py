"""Benchmark of ``/tier <account>`` through the Slack adapter, over loopback HTTP.

Two processes, as in production where Slack is elsewhere. This one runs the app alone:
the whole app on a temporary SQLite database seeded with many accounts, and bolt serving
HTTP on 127.0.0.1. A child process (:mod:`bot.benchmarks.slack_load`) plays Slack: its
FakeSlack stands in for the Web API and the response_urls, and its simulated people send
signed slash commands. Each command's latency runs from sending the request until the
reply reaches the fake's response_url (the card, after the ack, the lookup and the
scoring), both measured in the child.

Two runs, because latency and capacity are different questions:

- **at a rate**: commands go out on a fixed schedule, ``rate`` per second, whether or
  not earlier ones were answered, and latency counts from each one's scheduled moment,
  so if the app falls behind the backlog shows in p99 instead of slowing the senders
  down (the "coordinated omission" a closed loop suffers);
- **capacity**: ``concurrency`` people each send again once answered: the most commands
  per second the app answers. Its latency is mostly queueing the load makes itself (8
  commands always open at 200/s means 40 ms each on average), so it is reported, not
  held to the latency target.

The rate run is then repeated against a core that answers at once, so the report also
shows what the adapter alone costs and a missed target can be placed on the right layer.

A command counts as an error if the request is not answered 200, no reply arrives within
:data:`~bot.benchmarks.slack_load.REPLY_TIMEOUT`, or the reply is not the account's card.
Nothing leaves the machine: every socket is on 127.0.0.1 and the run stops after
``requests`` commands or ``max_seconds``, whichever comes first.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.slack.app import slack_adapter
from bot.adapters.slack.ports import ConversationPort, FormSource
from bot.adapters.slack.runner import EVENTS_PATH, serve_http
from bot.app import App, running_app
from bot.benchmarks.load_process import LoadProcess
from bot.benchmarks.seed import seed_accounts
from bot.benchmarks.slack_load import HOST, Drive, Driven, Start, UseNames
from bot.conversation.messages import (
    Button,
    Field,
    IncomingMessage,
    Reply,
    ReplyKind,
    Section,
)
from bot.service.actor import Actor
from bot.settings import Settings
from bot.store.enums import Role
from bot.testing import signing
from bot.testing.databases import sqlite_url

SECRET = "bench-signing-secret"
WARM_UP = 20
P99_TARGET_MS = 50.0
RATE_TARGET = 200.0


@dataclass
class SlackFigures:
    accounts: int
    concurrency: int
    rate: float | None = None  # commands per second offered, or None: sent once answered
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's, all threads, while the run went on

    @property
    def cpu_ms_per_command(self) -> float:
        return self.cpu_seconds * 1000 / self.commands if self.commands else math.nan

    @property
    def commands(self) -> int:
        return len(self.latencies_ms) + self.errors

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))]

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0


async def _seeded(app: App, accounts: int) -> list[str]:
    names = await seed_accounts(app, accounts)
    await app.service.add_person(Actor.cli(), "Bench Seller", Role.MANAGER, slack=signing.USER_ID)
    return names


class _AnswerAtOnce:
    """A core that answers every command with a small card at once: what is left of the
    latency is the adapter's (bolt, signing, rendering, the HTTP round trips)."""

    def __init__(self, service: FormSource) -> None:
        self.service = service

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        return [
            Reply(
                title=f"{message.text} · Tier A",
                kind=ReplyKind.CARD,
                fields=(Field("Score", "80.0"),),
                sections=(Section("Top reasons", ("a", "b", "c")),),
                buttons=(Button("Why", "why #1"),),
            )
        ]


async def _measure(
    conversation: ConversationPort,
    app: App,
    load: LoadProcess,
    runs: list[SlackFigures],
    requests: int,
    max_seconds: float,
) -> None:
    async with (
        slack_adapter(conversation, app.texts, app.settings) as adapter,
        serve_http(adapter.bolt, HOST, 0) as port,
    ):
        url = f"http://{HOST}:{port}{EVENTS_PATH}"
        # auth.test, users.info and the first queries are paid before measuring.
        await load.ask(Drive(url, min(WARM_UP, requests), 1, 30.0))
        for figures in runs:
            order = Drive(url, requests, figures.concurrency, max_seconds, figures.rate)
            cpu_before = time.process_time()
            driven: Driven = await load.ask(order)
            figures.cpu_seconds = time.process_time() - cpu_before
            figures.latencies_ms.extend(driven.latencies_ms)
            figures.errors += driven.errors
            figures.seconds = driven.seconds


@dataclass(frozen=True)
class SlackBench:
    at_rate: SlackFigures  # the real core on the seeded database, commands on a schedule
    capacity: SlackFigures  # the real core, people sending again once answered
    adapter: SlackFigures  # the rate run again with a core that answers at once


async def run(
    accounts: int,
    requests: int,
    concurrency: int,
    max_seconds: float = 120.0,
    rate: float = RATE_TARGET,
) -> SlackBench:
    at_rate = SlackFigures(accounts=accounts, concurrency=concurrency, rate=rate)
    capacity = SlackFigures(accounts=accounts, concurrency=concurrency)
    adapter = SlackFigures(accounts=accounts, concurrency=concurrency, rate=rate)
    with tempfile.TemporaryDirectory() as directory:
        async with LoadProcess("bot.benchmarks.slack_load") as load:
            api_url: str = await load.ask(Start(SECRET))
            settings = Settings(
                TIERBOT_DATABASE_URL=sqlite_url(Path(directory)),
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=api_url,
            )
            async with running_app(settings) as app:
                await load.ask(UseNames(await _seeded(app, accounts)))
                await _measure(
                    app.conversation, app, load, [at_rate, capacity], requests, max_seconds
                )
                await _measure(
                    _AnswerAtOnce(app.service), app, load, [adapter], requests, max_seconds
                )
    return SlackBench(at_rate, capacity, adapter)


def _latency(figures: SlackFigures) -> str:
    return (
        f"p50 {figures.percentile(0.50):.1f} ms, p99 {figures.percentile(0.99):.1f} ms, "
        f"app CPU {figures.cpu_ms_per_command:.2f} ms/command"
    )


def report(bench: SlackBench) -> list[str]:
    paced, capacity, adapter = bench.at_rate, bench.capacity, bench.adapter
    offered = paced.rate or 0.0
    kept_up = paced.errors == 0 and offered >= RATE_TARGET
    latency_ok = "ok" if paced.percentile(0.99) <= P99_TARGET_MS and kept_up else "MISSED"
    no_errors = paced.errors == 0 and capacity.errors == 0
    rate_ok = "ok" if capacity.per_second >= RATE_TARGET and no_errors else "MISSED"
    return [
        f"/tier over HTTP: {paced.accounts:,} accounts, everything on 127.0.0.1",
        f"at {offered:,.0f} commands/s ({paced.commands:,} commands on a fixed schedule, "
        f"{paced.seconds:.1f} s): {_latency(paced)}, scheduled moment to reply; "
        f"{paced.errors} errors   (target p99 <= {P99_TARGET_MS:.0f} ms at "
        f"{RATE_TARGET:.0f}/s: {latency_ok})",
        f"capacity ({capacity.commands:,} commands, {capacity.concurrency} people each sending "
        f"again once answered): {capacity.per_second:,.0f} commands/s, {capacity.errors} errors "
        f"({_latency(capacity)}, mostly the load's own queueing)   "
        f"(target >= {RATE_TARGET:.0f}/s with zero errors: {rate_ok})",
        f"adapter alone at {offered:,.0f}/s (a core that answers at once): {_latency(adapter)}, "
        f"{adapter.errors} errors (reported, no target)",
    ]
