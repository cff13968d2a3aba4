"""What the fake chat servers share: lifecycle on a free loopback port, the call log, waiting.

`FakeSlack` and `FakeTelegram` build on `RecordingServer`: each request they receive is kept
as a `RecordedCall`, and tests wait for calls without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

# --------------------------------------------------------------------------------------------
# Shared by the fakes


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RecordedCall:
    """One request a fake received; `time` is `time.monotonic()` at arrival."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    time: float
    path: str
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @classmethod
    def arrived(
        cls,
        request: web.Request,
        method: str,
        params: dict[str, Any],
        token: str | None,
        files: dict[str, UploadedFile],
    ) -> RecordedCall:
        """The call ``request`` made, stamped with the time it arrived."""
        return cls(
            method, params, dict(request.headers), token, time.monotonic(), request.path, files
        )


class Pulse:
    """Wakes every current waiter whenever something changes (a new call, a connection...)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        # Swap in a fresh event so waiters that arrive later wait for the *next* change.
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


async def read_request_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Query string plus the body (JSON object, urlencoded form or multipart) as one dict."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                with value.file:
                    data = value.file.read()
                files[key] = UploadedFile(key, value.filename, value.content_type, data)
            else:
                params[key] = value
    return params, files


class RecordingServer(ABC):
    """An aiohttp server on a free local port that records the calls it receives.

    Subclasses provide the routes (`_routes`) and may release long-lived handlers in
    `_before_shutdown` so that stopping never waits on them.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self.recorded: list[RecordedCall] = []
        # Per-method counts keep wait_for cheap when a benchmark makes thousands of calls.
        self._counts: Counter[str] = Counter()
        self._pulse = Pulse()
        self._closing = False

    # -- lifecycle

    @abstractmethod
    def _routes(self) -> list[web.RouteDef]:
        """The HTTP routes of the platform this server stands in for."""

    async def _after_start(self) -> None:  # noqa: B027 - optional hook; doing nothing is right
        """Hook for subclasses that need the running loop (client sessions, tasks)."""

    async def _before_shutdown(self) -> None:  # noqa: B027 - optional hook; most need none
        """Hook for subclasses to end long polls and websockets before the server stops."""

    async def start(self) -> Self:
        app = web.Application()
        app.add_routes(self._routes())
        # handler_cancellation: a long poll whose client hung up should end, not linger.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        await self._after_start()
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing = True
        self._pulse.fire()
        await self._before_shutdown()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not running; use `async with` or start()")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- the call log

    def _record(self, call: RecordedCall) -> None:
        self.recorded.append(call)
        self._counts[call.method] += 1
        self._pulse.fire()

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded calls, oldest first, optionally only those to `method`."""
        return [c for c in self.recorded if method is None or c.method == method]

    def methods(self) -> list[str]:
        """The method names called so far, in order (handy to assert a startup sequence)."""
        return [c.method for c in self.recorded]

    def clear(self) -> None:
        """Forget the recorded calls (state such as posted messages is kept)."""
        self.recorded.clear()
        self._counts.clear()

    # A timeout argument reads better in tests than wrapping every wait in asyncio.timeout().
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        """Wait until `method` has been called `count` times; return those calls."""
        await self._wait_until(
            lambda: self._counts[method] >= count,
            timeout,
            lambda: f"{count} call(s) to {method}; calls so far: {self.methods()}",
        )
        return self.calls(method)

    async def _wait_until(
        self, predicate: Callable[[], bool], seconds: float, describe: Callable[[], str]
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"waited {seconds}s for {describe()}")
            await self._pulse.wait(remaining)


# --------------------------------------------------------------------------------------------
# Slack
