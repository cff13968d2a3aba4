"""Where messages leave the bot: one :class:`Sender` per platform, picked by recipient prefix.

A recipient is an address string written by the service layer:

=========================  =============================================
``slack:U123``             a Slack user (the bot opens a DM)
``slack-channel:C123``     a Slack channel
``telegram:4567``          a Telegram user (private chat id = user id)
``telegram-chat:-100123``  a Telegram group or channel
=========================  =============================================

The part before the colon names the platform and the kind of target; the sender gets
the whole address and decides how to reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.conversation.messages import Reply
from bot.delivery.errors import permanent

SLACK_PREFIXES = ("slack", "slack-channel")
TELEGRAM_PREFIXES = ("telegram", "telegram-chat")
# Recipients that are a person's own chat account, as opposed to a shared channel.
PERSON_PREFIXES = frozenset({"slack", "telegram"})


class Sender(Protocol):
    """Sends to one platform. Every failure is a :class:`~bot.delivery.errors.DeliveryError`."""

    async def send(self, recipient: str, reply: Reply) -> str:
        """Post ``reply`` (uploading ``reply.image`` if set); return the platform message id."""
        ...

    async def send_image(self, recipient: str, png: bytes, caption: str) -> str:
        """Post a PNG with a caption; return the platform message id."""
        ...


@dataclass(frozen=True, slots=True)
class Address:
    prefix: str  # "slack", "slack-channel", "telegram", "telegram-chat"
    target: str  # the platform's id

    @property
    def platform(self) -> str:
        return self.prefix.split("-", 1)[0]

    @property
    def is_person(self) -> bool:
        return self.prefix in PERSON_PREFIXES


def parse_address(recipient: str) -> Address:
    prefix, separator, target = recipient.partition(":")
    if not separator or not prefix or not target:
        raise permanent(f"malformed recipient {recipient!r}")
    return Address(prefix, target)


class Senders:
    """Routes each recipient to the sender registered for its prefix."""

    def __init__(self, by_prefix: Mapping[str, Sender] | None = None) -> None:
        self._by_prefix: dict[str, Sender] = dict(by_prefix or {})

    def register(self, prefixes: tuple[str, ...], sender: Sender) -> None:
        for prefix in prefixes:
            self._by_prefix[prefix] = sender

    @property
    def prefixes(self) -> frozenset[str]:
        return frozenset(self._by_prefix)

    def for_recipient(self, recipient: str) -> Sender:
        address = parse_address(recipient)
        sender = self._by_prefix.get(address.prefix)
        if sender is None:
            # Permanent rather than retried: no sender appears without a restart with
            # new settings, and `tierbot outbox retry-dead` revives the message then.
            raise permanent(f"no sender for {address.prefix!r} recipients is configured")
        return sender

    async def send(self, recipient: str, reply: Reply) -> str:
        return await self.for_recipient(recipient).send(recipient, reply)

    async def send_image(self, recipient: str, png: bytes, caption: str) -> str:
        return await self.for_recipient(recipient).send_image(recipient, png, caption)
