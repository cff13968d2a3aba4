"""The outbox worker: claim due rows, turn them into messages, send, record the outcome.

One round (:meth:`OutboxWorker.run_once`):

1. claim the due rows of up to ``batch`` recipients (:func:`bot.delivery.claims.claim`);
2. per recipient, build the messages: all its alerts become one message (a card for
   one change, a summary for several), each digest its own message;
3. a person recipient whose chat identity is gone is dead at once, with the reason;
   alerts to a person in their quiet hours go back to pending until the quiet period
   ends in their time zone (no attempt counted). Channels have no time zone and are
   never held; digests are scheduled for a sensible hour already;
4. send, paced per recipient and overall, and record each message's outcome straight
   after its send (:mod:`bot.delivery.outcomes`) before that sender moves on, so a
   crash can repeat only the messages in flight: at most ``concurrency``, each to a
   different recipient, each once (see :mod:`bot.delivery.claims`). With
   ``concurrency=1`` that is at most one message.

Failures: a retryable :class:`DeliveryError` puts the rows back to pending after a
backoff (``retry_after`` honoured) until ``max_attempts``, then dead; a permanent one
is dead at once. An unexpected exception from a sender counts as retryable, so a bug
in a bridge delays messages instead of losing them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.conversation.messages import Reply
from bot.conversation.texts import TextsCache
from bot.delivery import claims
from bot.delivery.alerts import Move, alert_reply, summary_reply
from bot.delivery.claims import OutboxItem
from bot.delivery.digest import DigestBuilder
from bot.delivery.digest_data import DigestData
from bot.delivery.errors import DeliveryError, transient
from bot.delivery.outcomes import GroupCommit
from bot.delivery.pacing import Pacer
from bot.delivery.recipients import PersonInfo, people_behind
from bot.delivery.retry import RetryPolicy
from bot.delivery.schedule import QuietHours
from bot.delivery.senders import Sender, parse_address
from bot.store.db import Database
from bot.store.enums import OutboxKind

log = logging.getLogger(__name__)

_ALERT_KINDS = (OutboxKind.ALERT, OutboxKind.SUMMARY)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch: int = 50  # recipients per claim
    lease: timedelta = timedelta(minutes=5)
    summary_window: timedelta = timedelta(seconds=60)
    concurrency: int = 8
    quiet_hours: QuietHours | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True, slots=True, eq=False)
class Message:
    """One message to send and the rows it settles."""

    recipient: str
    items: tuple[OutboxItem, ...]
    build: Callable[[], Awaitable[Reply]]
    holdable: bool

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]


@dataclass(slots=True)
class RoundReport:
    messages: int = 0  # messages sent
    rows_sent: int = 0
    retried: int = 0  # rows put back for another attempt
    dead: int = 0
    held: int = 0  # rows waiting for the end of quiet hours

    @property
    def claimed(self) -> int:
        return self.rows_sent + self.retried + self.dead + self.held


class OutboxWorker:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        sender: Sender,
        texts: TextsCache,
        digests: DigestBuilder,
        options: WorkerOptions | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._texts = texts
        self._digests = digests
        self.options = options or WorkerOptions()
        self._pacer = pacer or Pacer()
        self._outcomes = GroupCommit(database)

    async def run_once(self) -> RoundReport:
        """Claim and send one batch. A report with nothing claimed means nothing was due."""
        report = RoundReport()
        async with self._database.session() as session:
            items = await claims.claim(
                session, self._clock.now(), limit=self.options.batch,
                lease=self.options.lease, window=self.options.summary_window,
            )
            if not items:
                return report
            people = await people_behind(session, {item.recipient for item in items})
            model = await self._digests.models.get(session)
        ranks = {tier.name: tier.rank for tier in model.tiers}
        messages: list[Message] = []
        for recipient, group in _by_recipient(items).items():
            messages.extend(await self._messages(recipient, group, people, ranks, report))
        await self._send_all(messages, report)
        return report

    # -- building messages ------------------------------------------------------------

    async def _messages(
        self,
        recipient: str,
        items: Sequence[OutboxItem],
        people: Mapping[str, PersonInfo],
        ranks: Mapping[str, int],
        report: RoundReport,
    ) -> list[Message]:
        try:
            address = parse_address(recipient)
        except DeliveryError as error:
            await self._dead([i.id for i in items], error.reason, report)
            return []
        person = people.get(recipient)
        if address.is_person and person is None:
            reason = f"recipient {recipient} no longer exists: no person has this chat account"
            await self._dead([i.id for i in items], reason, report)
            return []
        alerts = tuple(i for i in items if i.kind in _ALERT_KINDS)
        messages = [self._digest(recipient, item, person) for item in items
                    if item.kind is OutboxKind.DIGEST]
        if alerts:
            messages.insert(0, self._alerts(recipient, alerts, person, ranks))
        return await self._outside_quiet_hours(messages, person, report)

    def _alerts(
        self, recipient: str, items: tuple[OutboxItem, ...], person: PersonInfo | None,
        ranks: Mapping[str, int],
    ) -> Message:
        texts = self._texts.get(_language(items, person))
        repeat = any(item.reclaimed for item in items)

        async def build() -> Reply:
            moves = [Move.from_payload(item.payload) for item in items]
            if len(moves) == 1:
                return alert_reply(texts, moves[0], possible_repeat=repeat)
            return summary_reply(texts, moves, ranks, possible_repeat=repeat)

        return Message(recipient, items, build, holdable=person is not None)

    def _digest(self, recipient: str, item: OutboxItem, person: PersonInfo | None) -> Message:
        texts = self._texts.get(_language((item,), person))
        payload = item.payload
        time_zone = str(payload.get("time_zone") or (person.time_zone if person else "UTC"))

        async def build() -> Reply:
            data = DigestData.model_validate(payload["data"])
            # Drawing takes a few hundred milliseconds of CPU: off the event loop, which
            # may be serving chats too. The reply then finds the chart drawn.
            await asyncio.to_thread(self._digests.chart, data)
            week = str(payload.get("week") or "")
            return self._digests.reply(texts, data, week=week, time_zone=time_zone)

        return Message(recipient, (item,), build, holdable=False)

    async def _outside_quiet_hours(
        self, messages: list[Message], person: PersonInfo | None, report: RoundReport
    ) -> list[Message]:
        """The messages to send now; alerts in the person's quiet hours wait for morning."""
        quiet = self.options.quiet_hours
        if quiet is None or person is None:
            return messages
        until = quiet.release_time(self._clock.now(), person.time_zone)
        if until is None:
            return messages
        ids = [i for m in messages if m.holdable for i in m.ids]
        if ids:
            async with self._database.session() as session:
                await claims.hold(session, ids, until)
                await session.commit()
            report.held += len(ids)
        return [m for m in messages if not m.holdable]

    # -- sending ----------------------------------------------------------------------

    async def _send_all(self, messages: Sequence[Message], report: RoundReport) -> None:
        if self.options.concurrency <= 1 or len(messages) <= 1:
            for message in messages:
                await self._send(message, report)
            return
        slots = asyncio.Semaphore(self.options.concurrency)

        async def send(message: Message) -> None:
            async with slots:
                await self._send(message, report)

        async with asyncio.TaskGroup() as group:
            for message in messages:
                group.create_task(send(message))

    async def _send(self, message: Message, report: RoundReport) -> None:
        try:
            reply = await message.build()
        except Exception as error:  # a payload this code cannot read: keep it, with why
            log.exception("cannot build the message for outbox rows %s", message.ids)
            await self._dead(message.ids, f"cannot build the message: {error!r}", report)
            return
        await self._pacer.wait_turn(message.recipient)
        try:
            message_id = await self._sender.send(message.recipient, reply)
        except DeliveryError as error:
            await self._failed(message, error, report)
            return
        except Exception as error:
            log.exception("sender failed unexpectedly for %s", message.recipient)
            await self._failed(message, transient(f"unexpected error: {error!r}"), report)
            return
        sent_at = self._clock.now()
        await self._outcomes.sent(message.ids, sent_at, message_id)
        report.messages += 1
        report.rows_sent += len(message.ids)

    async def _failed(self, message: Message, error: DeliveryError, report: RoundReport) -> None:
        attempts = max(item.attempts for item in message.items) + 1
        policy = self.options.retry
        if not error.retryable or policy.exhausted(attempts):
            reason = error.reason if not error.retryable else (
                f"gave up after {attempts} attempts: {error.reason}")
            log.warning("outbox rows %s to %s are dead: %s", message.ids, message.recipient,
                        reason)
            await self._outcomes.dead(message.ids, reason)
            report.dead += len(message.ids)
            return
        at = self._clock.now() + policy.delay(attempts, error.retry_after)
        await self._outcomes.retry(message.ids, at, error.reason)
        report.retried += len(message.ids)

    async def _dead(self, ids: list[int], reason: str, report: RoundReport) -> None:
        log.warning("outbox rows %s are dead: %s", ids, reason)
        async with self._database.session() as session:
            await claims.mark_dead(session, ids, reason, count=False)
            await session.commit()
        report.dead += len(ids)


def _by_recipient(items: Sequence[OutboxItem]) -> dict[str, list[OutboxItem]]:
    groups: dict[str, list[OutboxItem]] = defaultdict(list)
    for item in items:
        groups[item.recipient].append(item)
    return groups


def _language(items: Sequence[OutboxItem], person: PersonInfo | None) -> str | None:
    """The payload's language, else the person's; None means the default (English)."""
    for item in items:
        language = item.payload.get("language")
        if isinstance(language, str) and language:
            return language
    return person.language if person is not None else None
