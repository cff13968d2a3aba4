"""The active tier model: read from ``model_versions``, compiled once per text.

Every use-case asks for the active model inside its own transaction. That costs one
indexed query, and it is what lets several replicas follow an activation at once:
whoever reads the new version compiles it (once per process) and scores with it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.model_files import read_model_text
from bot.store.db import Database
from bot.store.tables import ModelVersion
from scoring import CompiledModel, load_model


@dataclass(frozen=True, slots=True)
class ActiveModel:
    model: CompiledModel
    activated_at: datetime | None


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CompiledModels:
    """Compiled models by the checksum of their text; parsing a model file takes a while.

    One per process is enough. Keyed by content, so services on different databases
    (tests, several tenants) may share one without ever mixing up two texts.
    """

    def __init__(self) -> None:
        self._models: dict[str, CompiledModel] = {}

    def compile(self, text: str, source: str) -> CompiledModel:
        key = checksum(text)
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = load_model(text, source)
        return model

    def compile_cached(self, key: str) -> CompiledModel | None:
        """The model whose text has checksum ``key``, if it was compiled already."""
        return self._models.get(key)


class ModelRegistry:
    """Finds the active model; installs ``source`` (a shipped name or a path) if none is."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        source: str,
        compiled: CompiledModels | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._source = source
        self.compiled = compiled or CompiledModels()
        self._recent: tuple[float, ActiveModel] | None = None

    async def active(self, session: AsyncSession, *, max_age: float = 0.0) -> ActiveModel:
        """The active model; reads may accept one looked up ``max_age`` seconds ago.

        Writes always look (max_age 0): an activation bumps every account's version, so a
        write scored with the old model fails its version check and is redone with the new.
        """
        recent = self.recent(max_age)
        if recent is not None:
            return recent
        now = time.monotonic()
        found = await self._lookup(session)
        self._recent = (now, found)
        return found

    def recent(self, max_age: float) -> ActiveModel | None:
        """The active model as looked up at most ``max_age`` seconds ago, if it was."""
        if self._recent is not None and time.monotonic() - self._recent[0] <= max_age:
            return self._recent[1]
        return None

    def forget(self) -> None:
        """Look the active model up again on the next read (after an activation)."""
        self._recent = None

    async def _lookup(self, session: AsyncSession) -> ActiveModel:
        query = (
            select(
                ModelVersion.name,
                ModelVersion.version,
                ModelVersion.checksum,
                ModelVersion.activated_at,
            )
            .where(ModelVersion.is_active)
            # Activation deactivates every other row; the order only matters if two
            # admins activated different models in the same instant.
            .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
            .limit(1)
        )
        row = (await session.execute(query)).first()
        if row is None:
            return await self._install_source()
        model = self.compiled.compile_cached(row.checksum)
        if model is None:
            text = await session.scalar(
                select(ModelVersion.text).where(
                    ModelVersion.name == row.name, ModelVersion.version == row.version
                )
            )
            model = self.compiled.compile(text or "", f"{row.name} v{row.version}")
        return ActiveModel(model, row.activated_at)

    async def _install_source(self) -> ActiveModel:
        text, source = read_model_text(self._source)
        model = self.compiled.compile(text, source)
        now = self._clock.now()
        try:
            async with self._database.session() as session:
                await install(session, model, text, now)
                await session.commit()
        except IntegrityError:
            # Another replica installed it in the same instant; theirs is as good.
            pass
        return ActiveModel(model, now)


async def install(session: AsyncSession, model: CompiledModel, text: str, now: datetime) -> None:
    """Make ``model`` the only active one, storing its text unless that version exists."""
    await session.execute(
        update(ModelVersion).where(ModelVersion.is_active).values(is_active=False)
    )
    row = await session.scalar(
        select(ModelVersion).where(
            ModelVersion.name == model.name, ModelVersion.version == model.version
        )
    )
    if row is None:
        row = ModelVersion(
            name=model.name,
            version=model.version,
            text=text,
            checksum=checksum(text),
            created_at=now,
        )
        session.add(row)
    row.is_active = True
    row.activated_at = now
    await session.flush()
