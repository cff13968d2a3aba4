"""Slack payloads -> IncomingMessage, and where the answer to each goes (:class:`Origin`).

Rules (the conversation core reads the same command language everywhere):

* ``/tier acme`` becomes ``acme``; ``/tier set acme revenue=1.2M`` becomes
  ``set acme revenue=1.2M``; a bare ``/tier`` is empty text, which the core answers with help.
* An app mention loses the bot's own ``<@U…>`` tokens wherever they are.
* Slack sends ``&``, ``<`` and ``>`` typed by a person as ``&amp;``, ``&lt;``, ``&gt;``;
  they are decoded, so ``tier AT&T`` looks up "AT&T".
* In a DM every plain message is for the bot; edits, deletions, joins (any ``subtype``)
  and messages from bots, the bot itself included, are not.
* A pressed button sends its ``value``, the command it stands for, with ``is_button=True``.
* ``delivery_id`` is the ``event_id`` for events (a retry carries the same one) and the
  ``trigger_id`` for commands, actions and form submissions (unique per delivery); the
  core handles each delivery once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack.users import SlackUser
from bot.conversation.messages import ChatKind, IncomingMessage, Platform

Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, so its replies go back to the right place."""

    user_id: str
    chat_kind: ChatKind
    channel_id: str | None = None  # None: no conversation (App Home, a form): answer in the DM
    response_url: str | None = None
    thread_ts: str | None = None
    trigger_id: str | None = None
    from_button: bool = False


def event_chat_kind(channel_id: str, channel_type: str | None = None) -> ChatKind:
    """Events only come from conversations the bot is in, and the only DM it is in is its
    own with the person: a DM there is private; channels and group DMs are groups.

    Slash commands and buttons can come from any DM, also one between two people, so for
    them the handler compares the channel with the bot's own DM instead.
    """
    if channel_type == "im" or channel_id.startswith("D"):
        return ChatKind.PRIVATE
    return ChatKind.GROUP


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """Remove the bot's own mention (``<@U123>`` or ``<@U123|name>``) wherever it is."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return re.sub(r" {2,}", " ", text).strip()


def typed_text(text: str) -> str:
    """The text as the person typed it: Slack's three entities decoded (``&amp;`` last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def is_from_person(event: Payload) -> bool:
    """Typed by a person: other bots (workflows, integrations) are not answered."""
    return bool(event.get("user")) and not event.get("bot_id")


def is_plain_dm(event: Payload) -> bool:
    """A message a person typed in a DM with the bot (not an edit, join or bot post)."""
    return event.get("channel_type") == "im" and "subtype" not in event and is_from_person(event)


def _message(
    user: SlackUser,
    *,
    user_id: str,
    chat_id: str,
    text: str,
    kind: ChatKind,
    team_id: str | None,
    delivery_id: str | None,
    is_button: bool = False,
) -> IncomingMessage:
    return IncomingMessage(
        platform=Platform.SLACK,
        user_id=user_id,
        chat_id=chat_id,
        text=text,
        chat_kind=kind,
        user_name=user.real_name,
        locale=user.locale,
        team_id=team_id,
        is_button=is_button,
        delivery_id=delivery_id,
    )


# -- slash commands


def command_message(body: Payload, user: SlackUser, kind: ChatKind) -> IncomingMessage:
    channel = str(body.get("channel_id") or body["user_id"])
    return _message(
        user,
        user_id=str(body["user_id"]),
        chat_id=channel,
        text=typed_text(str(body.get("text") or "")),
        kind=kind,
        team_id=body.get("team_id"),
        delivery_id=body.get("trigger_id"),
    )


def command_origin(body: Payload, kind: ChatKind) -> Origin:
    return Origin(
        user_id=str(body["user_id"]),
        chat_kind=kind,
        channel_id=body.get("channel_id"),
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
    )


# -- events: app mentions and DMs


def event_message(
    body: Payload, event: Payload, user: SlackUser, bot_user_id: str | None
) -> IncomingMessage:
    channel = str(event["channel"])
    return _message(
        user,
        user_id=str(event["user"]),
        chat_id=channel,
        text=typed_text(strip_mention(str(event.get("text") or ""), bot_user_id)),
        kind=event_chat_kind(channel, event.get("channel_type")),
        # A guest from another organization (Slack Connect) counts as their own workspace.
        team_id=event.get("user_team") or event.get("team") or body.get("team_id"),
        delivery_id=body.get("event_id"),
    )


def event_origin(event: Payload) -> Origin:
    channel = str(event["channel"])
    return Origin(
        user_id=str(event["user"]),
        chat_kind=event_chat_kind(channel, event.get("channel_type")),
        channel_id=channel,
        thread_ts=event.get("thread_ts"),
    )


def home_message(
    event: Payload, user: SlackUser, team_id: str | None, text: str
) -> IncomingMessage:
    """What the App Home asks the core for (``mine``, ``movers 7d``, ``review``)."""
    user_id = str(event["user"])
    return _message(
        user,
        user_id=user_id,
        chat_id=str(event.get("channel") or user_id),
        text=text,
        kind=ChatKind.PRIVATE,
        team_id=team_id,
        # Read-only and asked on every visit: nothing to de-duplicate.
        delivery_id=None,
    )


# -- interactivity: buttons and forms


def team_of(body: Payload) -> str | None:
    user = body.get("user") or {}
    team = body.get("team") or {}
    return user.get("team_id") or team.get("id")


def action_channel(body: Payload) -> str | None:
    """The channel of the message holding the button; None for App Home and modals."""
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return channel.get("id") or container.get("channel_id")


def action_message(
    body: Payload, action: Payload, user: SlackUser, chat_id: str, kind: ChatKind
) -> IncomingMessage:
    return _message(
        user,
        user_id=str(body["user"]["id"]),
        chat_id=chat_id,
        text=str(action.get("value") or ""),
        kind=kind,
        team_id=team_of(body),
        delivery_id=body.get("trigger_id"),
        is_button=True,
    )


def action_origin(body: Payload, kind: ChatKind) -> Origin:
    return Origin(
        user_id=str(body["user"]["id"]),
        chat_kind=kind,
        channel_id=action_channel(body),
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
        from_button=True,
    )
