"""A sender that keeps what it is given, for tests of the delivery worker.

    sender = RecordingSender()
    sender.fail_next(transient("ratelimited", retry_after=2), transient("internal_error"))
    ... run the worker ...
    assert [m.recipient for m in sender.sent] == ["slack:U1"]

Failures are programmed in order (``fail_next``) or per recipient (``fail_for``);
``crash_after_next_send`` records the next message and then raises
:class:`SimulatedCrash`, which the worker does not catch: like a process killed after
the platform accepted a message and before the database heard about it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass

from bot.conversation.messages import Reply
from bot.delivery.errors import DeliveryError


class SimulatedCrash(BaseException):
    """The process died here. A BaseException, so no ``except Exception`` stops it."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    recipient: str
    message_id: str
    reply: Reply | None = None  # None for send_image
    png: bytes | None = None
    caption: str | None = None

    @property
    def title(self) -> str | None:
        return self.reply.title if self.reply is not None else self.caption


class RecordingSender:
    """Implements :class:`~bot.delivery.senders.Sender`; every call is kept in ``sent``."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.sent: list[SentMessage] = []
        self.attempts = 0
        self.delay = delay
        self._failures: deque[DeliveryError] = deque()
        self._recipient_failures: dict[str, DeliveryError] = {}
        self._crash_next = False
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()

    def fail_next(self, *errors: DeliveryError) -> None:
        """The next sends raise these errors, one each, in order (any recipient)."""
        self._failures.extend(errors)

    def fail_for(self, recipient: str, error: DeliveryError) -> None:
        """Every send to ``recipient`` raises ``error``."""
        self._recipient_failures[recipient] = error

    def crash_after_next_send(self) -> None:
        self._crash_next = True

    def to(self, recipient: str) -> list[SentMessage]:
        return [m for m in self.sent if m.recipient == recipient]

    # A timeout argument reads better in tests than wrapping every wait in asyncio.timeout().
    async def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Wait until ``count`` messages have been sent; raises TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while len(self.sent) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.sent

    async def send(self, recipient: str, reply: Reply) -> str:
        return await self._deliver(SentMessage(recipient, self._next_id(), reply=reply))

    async def send_image(self, recipient: str, png: bytes, caption: str) -> str:
        return await self._deliver(
            SentMessage(recipient, self._next_id(), png=png, caption=caption)
        )

    def _next_id(self) -> str:
        return f"m{next(self._ids)}"

    async def _deliver(self, message: SentMessage) -> str:
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if message.recipient in self._recipient_failures:
            raise self._recipient_failures[message.recipient]
        if self._failures:
            raise self._failures.popleft()
        self.sent.append(message)
        self._changed.set()
        if self._crash_next:
            self._crash_next = False
            raise SimulatedCrash(f"killed after sending {message.message_id}")
        return message.message_id
