"""The schema refuses inconsistent data on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.store.db import Database
from bot.store.enums import ChatPlatform, OutboxKind, Role
from bot.store.errors import ConcurrentUpdateError
from bot.store.tables import Account, ChatIdentity, OutboxMessage, Person


async def test_saving_an_account_loaded_before_someone_else_saved_it_fails(
    database: Database,
) -> None:
    async with database.session() as session:
        account = Account(name="Acme Corporation")
        session.add(account)
        await session.commit()
    assert account.version == 1

    async with database.session() as alice, database.session() as bob:
        alices_copy = await alice.get_one(Account, account.id)
        bobs_copy = await bob.get_one(Account, account.id)
        alices_copy.tier = "A"
        await alice.commit()

        bobs_copy.tier = "C"
        with pytest.raises(ConcurrentUpdateError):
            await bob.commit()

    async with database.session() as session:
        saved = await session.get_one(Account, account.id)
        assert (saved.tier, saved.version) == ("A", 2)


async def test_a_second_outbox_message_with_the_same_dedupe_key_is_refused(
    database: Database,
) -> None:
    def alert() -> OutboxMessage:
        return OutboxMessage(
            kind=OutboxKind.ALERT,
            recipient="slack:U123",
            payload={"account_id": 1},
            dedupe_key="alert:1:tier-change:7",
        )

    async with database.session() as session:
        session.add(alert())
        await session.commit()
    async with database.session() as session:
        session.add(alert())
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_an_identity_for_a_missing_person_is_refused(database: Database) -> None:
    async with database.session() as session:
        session.add(ChatIdentity(person_id=999, platform=ChatPlatform.SLACK, platform_user_id="U1"))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_deleting_a_person_deletes_their_chat_identities(database: Database) -> None:
    async with database.session() as session:
        person = Person(name="Mei", role=Role.REP)
        session.add(person)
        await session.flush()
        session.add(
            ChatIdentity(
                person_id=person.id, platform=ChatPlatform.TELEGRAM, platform_user_id="4567"
            )
        )
        await session.commit()

    async with database.session() as session:
        await session.delete(await session.get_one(Person, person.id))
        await session.commit()
        assert (await session.scalars(select(ChatIdentity))).all() == []


async def test_timestamps_come_back_as_utc_whatever_zone_they_were_given_in(
    database: Database,
) -> None:
    shanghai = timezone(timedelta(hours=8))
    async with database.session() as session:
        account = Account(name="Acme", tier_since=datetime(2024, 5, 1, 9, 30, tzinfo=shanghai))
        session.add(account)
        await session.commit()

    async with database.session() as session:
        loaded = await session.scalar(select(Account.tier_since).where(Account.id == account.id))
    assert loaded == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)
    assert loaded is not None
    assert loaded.tzinfo == UTC


async def test_naive_timestamps_are_refused(database: Database) -> None:
    async with database.session() as session:
        session.add(Account(name="Acme", tier_since=datetime(2024, 5, 1, 9, 30)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()
