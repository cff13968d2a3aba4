"""The closed sets of values some columns accept.

They are stored as plain strings guarded by CHECK constraints rather than native
PostgreSQL enums, so SQLite and PostgreSQL share one schema. Adding a value needs
a migration that rewrites the constraint; autogenerate does not notice it.
"""

from __future__ import annotations

from enum import StrEnum


class LifecycleStage(StrEnum):
    PROSPECT = "prospect"
    FIRST_PURCHASE = "first_purchase"
    REPEAT = "repeat"
    LOYAL = "loyal"
    CHURNED = "churned"


class ScoreCause(StrEnum):
    """Why a score was recorded or a tier changed."""

    UPDATE = "update"
    OVERRIDE = "override"
    IMPORT = "import"
    MODEL_CHANGE = "model_change"
    EXPIRY = "expiry"
    UNDO = "undo"
    DEMO = "demo"
    AGING = "aging"  # time passed: a dated fact (a last order date) moved into another band


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class Language(StrEnum):
    EN = "en"
    ZH = "zh"


class ChatPlatform(StrEnum):
    SLACK = "slack"
    TELEGRAM = "telegram"
    CONSOLE = "console"


class Channel(StrEnum):
    """Where an audited action came from."""

    SLACK = "slack"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    CLI = "cli"
    SYSTEM = "system"


class OutboxKind(StrEnum):
    ALERT = "alert"
    DIGEST = "digest"
    SUMMARY = "summary"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
