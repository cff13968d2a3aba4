"""Errors of the Slack adapter, in terms a caller can act on.

SlackAdapterError
├── SlackSetupError          configuration that cannot work (HTTP mode without a signing secret)
└── SlackDeliveryError       a message could not be sent; ``retryable`` says whether to try again
    └── InvalidRecipientError    the recipient string names no Slack user or channel

slack_sdk's own errors are translated by :func:`delivery_error`:

* HTTP 429 / ``ratelimited``: retryable after ``retry_after`` seconds (Slack's Retry-After).
* HTTP 5xx, ``internal_error``, ``fatal_error``, ``service_unavailable``,
  ``request_timeout``, connection failures and timeouts: retryable.
* Everything else (``channel_not_found``, ``user_not_found``, ``not_in_channel``,
  ``is_archived``, ``invalid_auth``, ``account_inactive``, ``msg_too_long``, ...): permanent,
  sending the same thing again gives the same answer.

The client already retries one 429 and one 5xx itself (see ``client.py``), so an error
that reaches the caller has outlasted that.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

# What a Web API or response_url call can raise when Slack or the network fails.
FAILURES: tuple[type[Exception], ...] = (
    SlackClientError, aiohttp.ClientError, TimeoutError, ConnectionError
)
_RETRYABLE_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackAdapterError(Exception):
    """Base of every error the Slack adapter raises."""


class SlackSetupError(SlackAdapterError):
    """The adapter was configured in a way that cannot work; the message names the variable."""


class SlackDeliveryError(SlackAdapterError):
    """Sending to Slack failed.

    ``reason`` is Slack's error code (``channel_not_found``) or a short code of ours
    (``http_503``, ``connection``); ``retryable`` says whether the same request may succeed
    later, after ``retry_after`` seconds when Slack said so.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        kind = "retryable" if retryable else "permanent"
        after = f", retry after {retry_after:g}s" if retry_after is not None else ""
        super().__init__(f"Slack delivery failed: {reason} ({kind}{after})")


class InvalidRecipientError(SlackDeliveryError):
    """The recipient is not ``slack:<user id>`` or ``slack-channel:<channel id>``."""

    def __init__(self, recipient: str) -> None:
        self.recipient = recipient
        super().__init__("invalid_recipient", retryable=False)


def _retry_after(error: SlackApiError) -> float | None:
    value = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
    if isinstance(value, list):  # slack_sdk keeps headers as lists in some code paths
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _api_error(error: SlackApiError) -> SlackDeliveryError:
    status = error.response.status_code
    data = error.response.data
    code = f"http_{status}"
    if isinstance(data, dict) and data.get("error"):
        code = str(data["error"])
    if status == 429 or code == "ratelimited":
        return SlackDeliveryError(code, retryable=True, retry_after=_retry_after(error))
    return SlackDeliveryError(code, retryable=status >= 500 or code in _RETRYABLE_CODES)


def delivery_error(error: Exception) -> SlackDeliveryError:
    """Translate one of :data:`FAILURES` into a SlackDeliveryError."""
    if isinstance(error, SlackDeliveryError):
        return error
    if isinstance(error, SlackApiError):
        return _api_error(error)
    if isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError):
        return SlackDeliveryError("connection", retryable=True)
    # Other SlackClientErrors are misuse of the client (bad arguments): trying again won't help.
    return SlackDeliveryError(type(error).__name__, retryable=False)
