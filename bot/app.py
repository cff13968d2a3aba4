"""The composition root: builds settings, database, use-cases and the conversation.

Everything is created here from parameters, so tests build the same graph with a
fake clock or a throwaway database. Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.conversation.access import AccessPolicy
from bot.conversation.core import Conversation, DigestPreview
from bot.conversation.messages import Reply
from bot.conversation.texts import TextsCache
from bot.i18n import TextCatalog
from bot.model_files import open_model
from bot.service import TieringService
from bot.service.views import PersonView
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import upgrade_async


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    database: Database
    service: TieringService
    conversation: Conversation
    texts: TextsCache
    clock: Clock


def build_service(settings: Settings, database: Database, clock: Clock) -> TieringService:
    return TieringService(
        database,
        clock=clock,
        model_source=settings.model,
        alert_routes=settings.alert_routes(),
        reps_update_all=settings.reps_update_all,
        conversation_timeout=timedelta(minutes=settings.conversation_timeout_minutes),
    )


def build_app(settings: Settings, database: Database, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    service = build_service(settings, database, clock)
    texts = TextsCache(TextCatalog())
    access = AccessPolicy(
        service,
        default_role=settings.default_role,
        slack_teams=settings.slack_allowed_teams,
        telegram_chats=settings.telegram_allowed_chats,
    )
    conversation = Conversation(
        service,
        texts,
        access,
        clock=clock,
        prospect_model=open_model(settings.prospect_model),
        digest_preview=_digest_preview(settings, database, clock, texts),
    )
    return App(settings, database, service, conversation, texts, clock)


def _digest_preview(
    settings: Settings, database: Database, clock: Clock, texts: TextsCache
) -> DigestPreview:
    from bot.delivery.admin import preview_digest
    from bot.delivery.digest import DigestBuilder
    from bot.delivery.models import ActiveModels

    builder = DigestBuilder(ActiveModels(settings.model))

    async def preview(person: PersonView) -> Reply:
        return (await preview_digest(database, clock, texts, builder, person.name)).reply

    return preview


@asynccontextmanager
async def running_app(
    settings: Settings, clock: Clock | None = None, *, migrate: bool = True
) -> AsyncIterator[App]:
    """The app on a migrated database; the database is closed on the way out."""
    if migrate:
        await upgrade_async(settings.database_url)
    database = Database(settings.database_url)
    try:
        yield build_app(settings, database, clock)
    finally:
        await database.dispose()
