"""The active tier model, read-only: tier order for alerts, thresholds for digests.

Reads the active row of ``model_versions`` and compiles it once per (name, version).
Unlike the service's registry this never installs anything: delivery only reports
on what the service has done; before any model is stored, the configured model file
stands in.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model_files import open_model
from bot.store.tables import ModelVersion
from scoring import CompiledModel, load_model


class ActiveModels:
    def __init__(self, fallback: str) -> None:
        self._fallback = fallback
        self._compiled: dict[tuple[str, int], CompiledModel] = {}

    async def get(self, session: AsyncSession) -> CompiledModel:
        row = (
            await session.execute(
                select(ModelVersion.name, ModelVersion.version)
                .where(ModelVersion.is_active)
                .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
                .limit(1)
            )
        ).first()
        key = (row.name, row.version) if row is not None else ("", 0)
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        if row is None:
            model = self._compiled[key] = open_model(self._fallback)
            return model
        text = await session.scalar(
            select(ModelVersion.text).where(
                ModelVersion.name == row.name, ModelVersion.version == row.version
            )
        )
        model = self._compiled[key] = load_model(text or "", f"{row.name} v{row.version}")
        return model
