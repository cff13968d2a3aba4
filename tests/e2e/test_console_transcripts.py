"""Whole conversations through the console adapter, compared with golden transcripts.

Each transcript in ``transcripts/`` is what a person typed (lines starting "> ") and
what tierbot answered. Set TIERBOT_UPDATE_GOLDEN=1 to rewrite them after a deliberate
change of wording, then read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleChat
from bot.testing.scenario import scenario

TRANSCRIPTS = Path(__file__).parent / "transcripts"

CONVERSATIONS: dict[str, tuple[str, list[str]]] = {
    "update_en": (
        "ann",
        [
            "tier acme corp",
            "set Acme Corporation revenue_growth=45% orders_per_year=20",
            "why acme",
            "set acme revenue_growth=lots",
            "set acme revenu=1M",
            "undo acme",
            "history acme",
        ],
    ),
    "override_en": (
        "ann",
        [
            "override Globex to A because strategic partner for 30d",
            "tier globex",
            "override globex clear",
            "undo globex",
        ],
    ),
    "refusal_en": (
        "bob",
        [
            "set acme credit_standing=poor",
            "override globex A because friend",
            "role Bob admin",
            "tier acme corpp",
            "set globex revenue_growth=20%",
            "mine",
        ],
    ),
    "qualify_en": (
        "ann",
        [
            "qualify Acme Robotics",
            "1",
            "back",
            "cancel",
            "qualify Acme Robotics",
            "maybe",
            "2",
            "1",
            "qualify save",
            "tier acme robotics",
        ],
    ),
    "update_zh": (
        "ann",
        [
            "lang zh",
            "等级 华为",
            "设置 华为技术 cumulative_revenue=1200万",
            "为什么 华为",
            "撤销 华为",
            "帮助",
        ],
    ),
    "qualify_zh": ("ann", ["lang zh", "评估 星辰科技", "1", "返回", "取消"]),
}


async def run_conversation(directory: Path, user: str, lines: list[str]) -> str:
    async with scenario(directory) as world:
        chat = ConsoleChat(world.app.conversation, user)
        parts = []
        for line in lines:
            parts.append(f"> {line}\n{await chat.say(line)}")
        return "\n\n".join(parts) + "\n"


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
async def test_conversation_matches_its_golden_transcript(name: str, tmp_path: Path) -> None:
    user, lines = CONVERSATIONS[name]
    actual = await run_conversation(tmp_path, user, lines)
    golden = TRANSCRIPTS / f"{name}.txt"
    if os.environ.get("TIERBOT_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden transcript {golden.name}; run with TIERBOT_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8")
