"""Benchmark of ``/tier <account>`` through the Slack adapter, over loopback HTTP.

The whole app runs in-process on a temporary SQLite database seeded with many accounts;
bolt serves HTTP on 127.0.0.1 and a FakeSlack stands in for Slack's Web API and
response_urls. Each command is a signed slash-command request; its latency runs from
sending the request until the reply reaches the fake's response_url (the card, after the
ack, the lookup and the scoring). ``concurrency`` commands await their reply at once.
The same load is then sent to a core that answers at once, so the report also shows
what the adapter alone costs and a missed target can be placed on the right layer.

A command counts as an error if the request is not answered 200, no reply arrives within
:data:`REPLY_TIMEOUT`, or the reply is not the account's card. Nothing leaves the machine:
every socket is on 127.0.0.1 and the run stops after ``requests`` commands or
``max_seconds``, whichever comes first.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.adapters.slack.app import slack_adapter
from bot.adapters.slack.ports import ConversationPort, FormSource
from bot.adapters.slack.runner import EVENTS_PATH, serve_http
from bot.app import App, running_app
from bot.benchmarks.seed import seed_accounts
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
from bot.testing.fake_slack import FakeSlack
from bot.testing.recording_server import RecordedCall

SECRET = "bench-signing-secret"
HOST = "127.0.0.1"
REPLY_TIMEOUT = 10.0
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


class _ReplyWatch(FakeSlack):
    """A FakeSlack that hands each response_url post to whoever waits for that URL."""

    def __init__(self) -> None:
        super().__init__(host=HOST)
        self.waiting: dict[str, asyncio.Future[RecordedCall]] = {}

    def _record(self, call: RecordedCall) -> None:
        super()._record(call)
        waiter = self.waiting.pop(call.path, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(call)


@dataclass
class _Load:
    fake: _ReplyWatch
    session: aiohttp.ClientSession
    url: str
    names: list[str]
    rng: random.Random

    async def one(self) -> float | None:
        """Send one command; its latency in ms, or None if it failed."""
        name = self.rng.choice(self.names)
        response_url = self.fake.response_url()
        reply = asyncio.get_running_loop().create_future()
        self.fake.waiting[urlsplit(response_url).path] = reply
        request = signing.signed_form(
            SECRET, signing.slash_command("/tier", name, response_url=response_url)
        )
        sent = time.monotonic()
        try:
            async with self.session.post(self.url, data=request.body,
                                         headers=request.headers) as answer:
                if answer.status != 200:
                    return None
            call: RecordedCall = await asyncio.wait_for(reply, REPLY_TIMEOUT)
        except (TimeoutError, aiohttp.ClientError):
            return None
        finally:
            self.fake.waiting.pop(urlsplit(response_url).path, None)
        return (call.time - sent) * 1000 if name in str(call.params.get("text", "")) else None


async def _drive(load: _Load, figures: SlackFigures, requests: int, max_seconds: float) -> None:
    remaining = requests
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            latency = await load.one()
            if latency is None:
                figures.errors += 1
            else:
                figures.latencies_ms.append(latency)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(figures.concurrency)))
    figures.seconds = time.monotonic() - started


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
        return [Reply(title=f"{message.text} · Tier A", kind=ReplyKind.CARD,
                      fields=(Field("Score", "80.0"),),
                      sections=(Section("Top reasons", ("a", "b", "c")),),
                      buttons=(Button("Why", "why #1"),))]


async def _measure(
    conversation: ConversationPort,
    app: App,
    fake: _ReplyWatch,
    names: list[str],
    figures: SlackFigures,
    requests: int,
    max_seconds: float,
) -> None:
    async with (
        slack_adapter(conversation, app.texts, app.settings) as adapter,
        serve_http(adapter.bolt, HOST, 0) as port,
        aiohttp.ClientSession() as session,
    ):
        load = _Load(fake, session, f"http://{HOST}:{port}{EVENTS_PATH}", names,
                     random.Random(7))
        # auth.test, users.info and the first queries are paid before measuring.
        await _drive(load, SlackFigures(figures.accounts, 1), min(WARM_UP, requests), 30.0)
        await _drive(load, figures, requests, max_seconds)


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
        async with _ReplyWatch() as fake:
            settings = Settings(
                TIERBOT_DATABASE_URL=sqlite_url(Path(directory)),
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=fake.api_url,
            )
            async with running_app(settings) as app:
                names = await _seeded(app, accounts)
                await _measure(app.conversation, app, fake, names, whole, requests, max_seconds)
                await _measure(_AnswerAtOnce(app.service), app, fake, names, adapter,
                               requests, max_seconds)
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
