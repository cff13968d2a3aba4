"""Malformed input, typed by anyone, never changes data and never crashes the bot."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.adapters.console import ConsoleChat
from bot.conversation.parser import Command, Verb, parse
from bot.store.db import Database
from bot.store.tables import Account, AuditEntry
from bot.testing.scenario import Scenario, scenario
from scoring import parse_number
from scoring.values import ValueProblem

PREFERENCES = frozenset({Verb.LANG, Verb.ALERTS_SWITCH, Verb.DIGEST_SWITCH})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, Scenario]]:
    """One populated app on one event loop, shared by every example."""
    runner = asyncio.Runner()
    context = scenario(tmp_path_factory.mktemp("fuzz"))
    try:
        yield runner, runner.run(context.__aenter__())
    finally:
        runner.run(context.__aexit__(None, None, None))
        runner.close()


async def _state(database: Database) -> tuple[int, list[tuple[int, object, int]]]:
    async with database.session() as session:
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
        rows = (await session.execute(select(Account.id, Account.facts, Account.version))).all()
    return int(audits or 0), sorted((r[0], r[1], r[2]) for r in rows)


async def _say_as_bob(world: Scenario, text: str) -> tuple[str, object, object]:
    before = await _state(world.app.database)
    answer = await ConsoleChat(world.app.conversation, "bob").say(text)
    return answer, before, await _state(world.app.database)


def _not_a_number(text: str) -> bool:
    """A value that is neither a number nor empty (an empty value clears a fact on purpose)."""
    try:
        words = shlex.split(text)
    except ValueError:
        return True  # an unclosed quote is malformed too
    try:
        parse_number(" ".join(words))
    except ValueProblem:
        return bool("".join(words).strip())
    return False


junk = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
malformed = st.one_of(
    junk,
    st.builds(
        lambda w, j: f"{w} {j}",
        st.sampled_from(
            [
                "set",
                "override",
                "undo",
                "role",
                "people add",
                "people remove",
                "lang",
                "alerts",
                "digest",
                "qualify answer",
                "qualify save",
                "reviewed",
            ]
        ),
        junk,
    ),
    st.builds(lambda v: f"set Globex Logistics revenue_growth={v}", junk.filter(_not_a_number)),
    st.builds(lambda v: f"set Globex Logistics nonexistent_field={v}", junk),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=malformed)
def test_malformed_input_changes_nothing_and_gets_an_answer(
    world: tuple[asyncio.Runner, Scenario], text: str
) -> None:
    parsed = parse(text)
    # "lang en" or "alerts off" are well-formed preference changes, not malformed input.
    assume(not (isinstance(parsed, Command) and parsed.verb in PREFERENCES))
    runner, populated = world
    answer, before, after = runner.run(_say_as_bob(populated, text))
    assert answer.strip()
    assert before == after
