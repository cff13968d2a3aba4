"""Benchmark of ``/tier <account>`` through the Slack adapter, over loopback HTTP.

Two processes, as in production where Slack is elsewhere. This one runs the app alone:
the whole app on a temporary SQLite database seeded with many accounts, and bolt serving
HTTP on 127.0.0.1. A child process (:mod:`bot.benchmarks.slack_load`) plays Slack: its
FakeSlack stands in for the Web API and the response_urls, and its simulated people send
signed slash commands. Each command's latency runs from sending the request until the
reply reaches the fake's response_url (the card, after the ack, the lookup and the
scoring), both measured in the child. ``concurrency`` commands await their reply at once.
The same load is then sent to a core that answers at once, so the report also shows
what the adapter alone costs and a missed target can be placed on the right layer.

A command counts as an error if the request is not answered 200, no reply arrives within
:data:`~bot.benchmarks.slack_load.REPLY_TIMEOUT`, or the reply is not the account's card.
Nothing leaves the machine: every socket is on 127.0.0.1 and the run stops after
``requests`` commands or ``max_seconds``, whichever comes first.
"""

from __future__ import annotations

import tempfile
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
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

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
    figures: SlackFigures,
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
        driven: Driven = await load.ask(Drive(url, requests, figures.concurrency, max_seconds))
    figures.latencies_ms.extend(driven.latencies_ms)
    figures.errors += driven.errors
    figures.seconds = driven.seconds


@dataclass(frozen=True)
class SlackBench:
    whole: SlackFigures  # the real core on the seeded database
    adapter: SlackFigures  # the same requests with a core that answers at once


async def run(
    accounts: int, requests: int, concurrency: int, max_seconds: float = 120.0
) -> SlackBench:
    whole = SlackFigures(accounts=accounts, concurrency=concurrency)
    adapter = SlackFigures(accounts=accounts, concurrency=concurrency)
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
                await _measure(app.conversation, app, load, whole, requests, max_seconds)
                await _measure(
                    _AnswerAtOnce(app.service), app, load, adapter, requests, max_seconds
                )
    return SlackBench(whole, adapter)


def report(bench: SlackBench) -> list[str]:
    whole, adapter = bench.whole, bench.adapter
    p50, p99 = whole.percentile(0.50), whole.percentile(0.99)
    latency_ok = "ok" if p99 <= P99_TARGET_MS else "MISSED"
    rate_ok = "ok" if whole.per_second >= RATE_TARGET and whole.errors == 0 else "MISSED"
    return [
        f"/tier over HTTP: {whole.commands:,} commands, concurrency {whole.concurrency}, "
        f"{whole.accounts:,} accounts, {whole.seconds:.1f} s",
        f"latency:     p50 {p50:.1f} ms, p99 {p99:.1f} ms   (target p99 <= {P99_TARGET_MS:.0f} ms: "
        f"{latency_ok})",
        f"throughput:  {whole.per_second:,.0f} commands/s, {whole.errors} errors   "
        f"(target >= {RATE_TARGET:.0f}/s with zero errors: {rate_ok})",
        f"adapter alone (a core that answers at once): p50 {adapter.percentile(0.5):.1f} ms, "
        f"p99 {adapter.percentile(0.99):.1f} ms, {adapter.per_second:,.0f} commands/s, "
        f"{adapter.errors} errors (reported, no target)",
    ]
