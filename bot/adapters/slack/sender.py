"""Sending Replies to a Slack user or channel as Block Kit, and uploading charts.

Used by the delivery worker for alerts and digests, addressed as ``slack:<user id>`` (the
bot's DM with that person) or ``slack-channel:<channel id>``. Every failure leaves as a
:class:`~bot.adapters.slack.errors.SlackDeliveryError` saying whether to retry.

Sending is at-least-once: the caller stores the returned ``ts`` once sent; a crash between
sending and storing can repeat one message.
"""

from __future__ import annotations

import re

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import (
    FAILURES,
    InvalidRecipientError,
    SlackDeliveryError,
    delivery_error,
)
from bot.conversation.messages import Reply
from bot.rendering.slack_blocks import SlackMessage, render_slack

_RECIPIENT = re.compile(r"^slack(?P<channel>-channel)?:(?P<id>[A-Z0-9]+)$")


def recipient_target(recipient: str) -> tuple[str, bool]:
    """``slack:U1`` -> ("U1", True); ``slack-channel:C1`` -> ("C1", False)."""
    match = _RECIPIENT.match(recipient.strip())
    if match is None:
        raise InvalidRecipientError(recipient)
    return match["id"], match["channel"] is None


def render(reply: Reply) -> SlackMessage:
    try:
        return render_slack(reply)
    except ValueError as error:  # more buttons than Slack can show: sending again won't help
        raise SlackDeliveryError(f"unrenderable: {error}", retryable=False) from error


class SlackSender:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dm_channels: dict[str, str] = {}

    async def send(self, recipient: str, reply: Reply) -> str:
        """Post ``reply`` (and its image, if any); return the message's ``ts``."""
        target, _ = recipient_target(recipient)
        message = render(reply)
        try:
            # Posting to a user id posts in the bot's DM with them: one call, no lookup.
            response = await self.client.chat_postMessage(channel=target, **message.as_kwargs())
        except FAILURES as error:
            raise delivery_error(error) from error
        if reply.image is not None:
            await self.upload_png(recipient, reply.image.png, reply.image.alt_text,
                                  filename=reply.image.filename)
        return str(response["ts"])

    async def upload_png(
        self, recipient: str, png: bytes, title: str, *, filename: str = "chart.png"
    ) -> str:
        """Upload a PNG into the recipient's conversation; return the file id."""
        target, is_user = recipient_target(recipient)
        try:
            channel = await self.dm_channel(target) if is_user else target
            response = await self.client.files_upload_v2(
                channel=channel, content=png, filename=filename, title=title
            )
        except FAILURES as error:
            raise delivery_error(error) from error
        return str(response["file"]["id"])

    async def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id`` (uploads need a channel id, not a user id)."""
        channel = self._dm_channels.get(user_id)
        if channel is None:
            response = await self.client.conversations_open(users=user_id)
            channel = self._dm_channels[user_id] = str(response["channel"]["id"])
        return channel
