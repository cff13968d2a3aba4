"""The App Home tab: my accounts by tier, recent movers and my review list.

Each part is the core's answer to a command (:data:`HOME_COMMANDS`), rendered with the
same Block Kit as in a chat and separated by dividers, so the Home tab never shows
anything the person could not ask for themselves. Buttons work as in messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.conversation.messages import Reply, ReplyKind
from bot.rendering.slack_blocks import render_slack

HOME_COMMANDS = ("mine", "movers 7d", "review")
BLOCKS_LIMIT = 100  # Slack's limit for a Home tab view
ELLIPSIS = "…"


def _distinct(replies: Sequence[Reply]) -> list[Reply]:
    """A refusal ("I don't know you yet") answers every part alike: show it once."""
    seen: set[str | None] = set()
    kept = []
    for reply in replies:
        if reply.kind is ReplyKind.ERROR:
            if reply.title in seen:
                continue
            seen.add(reply.title)
        kept.append(reply)
    return kept


def home_view(replies: Sequence[Reply]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for reply in _distinct(replies):
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(render_slack(reply).blocks)
    if len(blocks) > BLOCKS_LIMIT:
        ellipsis = {"type": "context", "elements": [{"type": "plain_text", "text": ELLIPSIS}]}
        blocks = [*blocks[: BLOCKS_LIMIT - 1], ellipsis]
    return {"type": "home", "blocks": blocks}
