"""Errors of the Telegram adapter, in terms a caller can act on.

TelegramAdapterError
├── TelegramSetupError       configuration that cannot work (webhook without a secret, ...)
└── TelegramDeliveryError    a message could not be sent; ``retryable`` says whether to try again
    └── InvalidRecipientError    the recipient string names no Telegram chat

python-telegram-bot's own errors are translated by :func:`delivery_error`:

* ``RetryAfter`` (flood control, 429): retryable, ``retry_after`` seconds.
* ``TimedOut`` and other ``NetworkError`` (connection failures, 5xx): retryable.
* ``Forbidden`` (the person blocked the bot, the bot was removed from the group),
  ``BadRequest`` ("chat not found", bad markup), ``ChatMigrated``, ``InvalidToken``,
  ``Conflict``: permanent - sending the same thing again gives the same answer.
"""

from __future__ import annotations

import datetime as dt

from telegram import error as ptb


class TelegramAdapterError(Exception):
    """Base of every error the Telegram adapter raises."""


class TelegramSetupError(TelegramAdapterError):
    """The adapter was configured in a way that cannot work; the message says how to fix it."""


class TelegramDeliveryError(TelegramAdapterError):
    """Sending to Telegram failed.

    ``retryable``: the same request may succeed later (after ``retry_after`` seconds when
    Telegram said so). ``reason`` is a short stable code for logs and the outbox.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        reason: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason
        self.retry_after = retry_after


class InvalidRecipientError(TelegramDeliveryError):
    """The recipient is not ``telegram:<user id>`` or ``telegram-chat:<chat id>``."""

    def __init__(self, recipient: str) -> None:
        super().__init__(
            f"not a Telegram recipient: {recipient!r} "
            "(expected telegram:<user id> or telegram-chat:<chat id>)",
            retryable=False,
            reason="invalid_recipient",
        )
        self.recipient = recipient


def seconds(period: int | float | dt.timedelta) -> float:
    """A period in seconds; PTB gives ``RetryAfter.retry_after`` as int or timedelta."""
    if isinstance(period, dt.timedelta):
        return period.total_seconds()
    return float(period)


def delivery_error(error: ptb.TelegramError) -> TelegramDeliveryError:
    """The adapter's view of a python-telegram-bot error."""
    text = f"Telegram refused the request: {error.message}"
    if isinstance(error, ptb.RetryAfter):
        return TelegramDeliveryError(
            text, retryable=True, reason="flood_control", retry_after=seconds(error.retry_after)
        )
    if isinstance(error, ptb.Forbidden):
        return TelegramDeliveryError(text, retryable=False, reason="forbidden")
    if isinstance(error, ptb.BadRequest):
        # Checked before NetworkError: BadRequest is a subclass of it.
        return TelegramDeliveryError(text, retryable=False, reason="bad_request")
    if isinstance(error, ptb.NetworkError):
        return TelegramDeliveryError(text, retryable=True, reason="network")
    if isinstance(error, ptb.ChatMigrated):
        # A group became a supergroup: the route must be changed to the new id by a person.
        return TelegramDeliveryError(
            f"{text} (the chat is now {error.new_chat_id})", retryable=False, reason="chat_migrated"
        )
    return TelegramDeliveryError(text, retryable=False, reason=type(error).__name__.lower())
