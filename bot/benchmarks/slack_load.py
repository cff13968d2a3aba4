"""The load side of the Slack benchmark, run in its own process (see ``load_process``).

It plays Slack: a FakeSlack serves the Web API and the response_urls the app posts its
replies to, and simulated people send signed ``/tier <account>`` slash commands to the
app's HTTP endpoint. A command's latency runs from sending its request (or, at a fixed
rate, from the moment it was due) until the reply reaches its response_url, both seen
here (``time.monotonic`` is the same clock in every process).

A command counts as an error if the request is not answered 200, no reply arrives within
:data:`REPLY_TIMEOUT`, or the reply is not the account's card.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.benchmarks.load_process import Handler
from bot.benchmarks.pacing import due_times
from bot.testing import signing
from bot.testing.fake_slack import FakeSlack
from bot.testing.recording_server import RecordedCall

HOST = "127.0.0.1"
REPLY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Start:
    """Answered with the fake Slack's Web API URL, for the app's settings."""

    secret: str  # the app's signing secret
    seed: int = 7  # of the random choice of accounts


@dataclass(frozen=True)
class UseNames:
    """The account names the commands ask for, once the app's database holds them."""

    names: list[str]


@dataclass(frozen=True)
class Drive:
    """Send ``requests`` commands to ``url`` (at most ``max_seconds``); answered with Driven.

    Without a ``rate``, ``concurrency`` people each send the next command once the last
    is answered: the most the app can take. With a ``rate`` the commands go out on a
    fixed schedule, that many per second, whether or not earlier ones were answered, the
    way independent people type them; latency counts from each command's scheduled
    moment, so a backlog shows in the figures instead of slowing the senders down.
    """

    url: str
    requests: int
    concurrency: int
    max_seconds: float
    rate: float | None = None  # commands per second, or None: send again once answered


@dataclass(frozen=True)
class Driven:
    latencies_ms: list[float]  # of the commands answered with their card
    errors: int
    seconds: float  # from the first command sent to the last one done


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
    secret: str
    names: list[str]
    rng: random.Random

    async def one(self, url: str, scheduled: float | None = None) -> float | None:
        """Send one command; its latency in ms (from ``scheduled`` if given), or None if
        it failed."""
        name = self.rng.choice(self.names)
        response_url = self.fake.response_url()
        path = urlsplit(response_url).path
        reply: asyncio.Future[RecordedCall] = asyncio.get_running_loop().create_future()
        self.fake.waiting[path] = reply
        request = signing.signed_form(
            self.secret, signing.slash_command("/tier", name, response_url=response_url)
        )
        sent = time.monotonic() if scheduled is None else scheduled
        try:
            async with self.session.post(url, data=request.body, headers=request.headers) as answer:
                if answer.status != 200:
                    return None
            call = await asyncio.wait_for(reply, REPLY_TIMEOUT)
        except (TimeoutError, aiohttp.ClientError):
            return None
        finally:
            self.fake.waiting.pop(path, None)
        return (call.time - sent) * 1000 if name in str(call.params.get("text", "")) else None

    async def drive(self, order: Drive) -> Driven:
        if order.rate is not None:
            return await self.drive_at_rate(order, order.rate)
        latencies_ms: list[float] = []
        errors = 0
        remaining = order.requests
        deadline = time.monotonic() + order.max_seconds

        async def person() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                latency = await self.one(order.url)
                if latency is None:
                    errors += 1
                else:
                    latencies_ms.append(latency)

        started = time.monotonic()
        await asyncio.gather(*(person() for _ in range(order.concurrency)))
        return Driven(latencies_ms, errors, time.monotonic() - started)

    async def drive_at_rate(self, order: Drive, rate: float) -> Driven:
        """Send command i at ``start + i / rate``."""
        sent: list[asyncio.Task[float | None]] = []
        start = time.monotonic()
        async for due in due_times(order.requests, rate, order.max_seconds):
            sent.append(asyncio.create_task(self.one(order.url, due)))
        outcomes = await asyncio.gather(*sent)
        latencies_ms = [latency for latency in outcomes if latency is not None]
        return Driven(latencies_ms, len(outcomes) - len(latencies_ms), time.monotonic() - start)


@asynccontextmanager
async def open_load() -> AsyncIterator[Handler]:
    """The fake Slack and the people; answers Start, UseNames and Drive requests."""
    async with _ReplyWatch() as fake, aiohttp.ClientSession() as session:
        load = _Load(fake, session, "", [], random.Random())

        async def handle(request: Any) -> Any:
            match request:
                case Start(secret, seed):
                    load.secret, load.rng = secret, random.Random(seed)
                    return fake.api_url
                case UseNames(names):
                    load.names = names
                    return None
                case Drive():
                    return await load.drive(request)
            raise ValueError(f"unexpected request {request!r}")

        yield handle
