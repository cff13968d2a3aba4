"""A benchmark's load side in a child process, so the measured process runs the app alone.

Real Slack and Telegram are other machines. A load generator and a fake platform in the
app's own process would take its CPU and its event loop's turns, and put their costs
into the figures. So a chat benchmark runs the app in its own process and starts the
load side (the fake platform and the simulated people) with :class:`LoadProcess`: a
child that imports the named module and serves what its ``open_load`` yields.

The two talk over pipes in frames, each a 4-byte length and a pickle: the parent sends
a request and awaits the answer while its event loop goes on serving the app; the child
answers each request once it has done it. The child answers on its original stdout;
anything it prints goes to stderr instead, so it cannot garble an answer. Closing the
child's stdin ends it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import pickle
import struct
import sys
import traceback
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO, Self

_LENGTH = struct.Struct("!I")
STOP_SECONDS = 10.0  # how long a child may take to finish after its stdin closes

Handler = Callable[[Any], Awaitable[Any]]


class LoadProcessError(RuntimeError):
    """The child failed to answer: it raised (its traceback is the message) or it died."""


@dataclass(frozen=True)
class _Failed:
    traceback: str


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))


class LoadProcess:
    """A child serving ``module.open_load``; :meth:`ask` sends it a request and awaits
    its answer."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Self:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            self.module,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**20,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def ask(self, request: object) -> Any:
        """Send ``request``; the child's answer. Raises LoadProcessError if it has none."""
        process = self._process
        if process is None:
            raise RuntimeError("the load process is not running; use `async with`")
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(_frame(request))
            await process.stdin.drain()
            answer = await _read_frame(process.stdout)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise LoadProcessError(
                f"{self.module} ended without answering {type(request).__name__} "
                f"(exit code {process.returncode}; its stderr says why)"
            ) from error
        if isinstance(answer, _Failed):
            raise LoadProcessError(f"{self.module} failed:\n{answer.traceback}")
        return answer


def main(module: str) -> None:
    """The child: serve the ``open_load`` of ``module``."""
    serve(importlib.import_module(module).open_load)


def serve(open_load: Callable[[], AbstractAsyncContextManager[Handler]]) -> None:
    """The child's main loop: answer each request with the handler ``open_load`` yields,
    until stdin closes; then leave the context (stopping servers, closing sessions)."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    asyncio.run(_serve(open_load, answers))


async def _serve(
    open_load: Callable[[], AbstractAsyncContextManager[Handler]], answers: BinaryIO
) -> None:
    loop = asyncio.get_running_loop()
    requests = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(requests), os.fdopen(sys.stdin.fileno(), "rb")
    )
    async with open_load() as handle:
        while True:
            try:
                request = await _read_frame(requests)
            except asyncio.IncompleteReadError:
                return  # the parent is done
            try:
                answer = await handle(request)
            except Exception:
                answer = _Failed(traceback.format_exc())
            # Answers are small (figures, a URL) and the parent reads them at once.
            answers.write(_frame(answer))
            answers.flush()


if __name__ == "__main__":
    # Run through the module's own name, so that what the child pickles (and unpickles)
    # names the classes the parent knows, not ``__main__``'s copies of them.
    from bot.benchmarks.load_process import main as child_main

    child_main(sys.argv[1])
