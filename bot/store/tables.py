"""The database schema as SQLAlchemy declarative models.

JSON columns are replaced, not mutated: assign a new list or dict to save a
change, because in-place edits are not tracked. Every timestamp is aware UTC
(see :class:`~bot.store.types.UTCDateTime`).

The name-search indexes are the word tables below, the same on both databases, and
a substring index that differs per database (pg_trgm on PostgreSQL, an FTS5 table on
SQLite), which is not modelled here: the migrations create it and
:mod:`bot.store.search` queries it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from bot.store.enums import (
    Channel,
    ChatPlatform,
    Language,
    LifecycleStage,
    OutboxKind,
    OutboxStatus,
    Role,
    ScoreCause,
)
from bot.store.types import (
    JSONDocument,
    NullableJSONDocument,
    UTCDateTime,
    string_enum,
    utcnow,
)

# Deterministic constraint names let migrations drop and alter constraints by
# name, and keep autogenerate from seeing spurious differences.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: String(),
        float: Double(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        list[str]: JSONDocument,
    }


class Person(Base):
    """Someone who talks to the bot: a sales rep, a manager or an admin."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"))
    # None: follow the language hint each chat platform sends; set once the person chooses.
    language: Mapped[Language | None] = mapped_column(string_enum(Language, "language"))
    time_zone: Mapped[str] = mapped_column(default="UTC")  # IANA name
    email: Mapped[str | None]
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # lazy="raise": an implicit load would need I/O the async session cannot do.
    identities: Mapped[list[ChatIdentity]] = relationship(
        back_populates="person", lazy="raise", passive_deletes=True
    )


class ChatIdentity(Base):
    """One chat account (a Slack user, a Telegram user) that belongs to a person."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[ChatPlatform] = mapped_column(string_enum(ChatPlatform, "platform"))
    platform_user_id: Mapped[str]
    team_id: Mapped[str | None]  # Slack workspace; None elsewhere

    person: Mapped[Person] = relationship(back_populates="identities", lazy="raise")


class Account(Base):
    """A B2B customer or prospect, its current score and tier, and any manual override."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(unique=True)  # id in the CRM
    name: Mapped[str] = mapped_column(index=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        string_enum(LifecycleStage, "lifecycle_stage"), default=LifecycleStage.PROSPECT
    )
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)

    score: Mapped[float | None]
    sub_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # scored_tier is what the model gives; tier is what everyone sees (an active override wins).
    scored_tier: Mapped[str | None]
    tier: Mapped[str | None]
    tier_since: Mapped[datetime | None]
    last_reviewed_at: Mapped[datetime | None]
    model_name: Mapped[str | None]
    model_version: Mapped[int | None]
    completeness: Mapped[float | None]  # share of the model's inputs that are known
    # The last prospect qualification (see bot.service.qualifications): a grade by time
    # to close, beside the tier, which grades value.
    qualification: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDocument)

    override_tier: Mapped[str | None]
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    override_until: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Two people editing one account must not silently overwrite each other:
    # an ORM flush with a stale version raises ConcurrentUpdateError. Core
    # update() statements bypass this check and must bump the version themselves.
    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id], lazy="raise")


# Words compare byte by byte on PostgreSQL too, so a range of them is a prefix.
_WORD = String().with_variant(String(collation="C"), "postgresql")


class NameWord(Base):
    """One word of an account's name or aliases: what name search looks words up in
    (see :mod:`bot.store.name_index`)."""

    __tablename__ = "name_words"
    __table_args__ = ({"sqlite_with_rowid": False},)

    word: Mapped[str] = mapped_column(_WORD, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class NameVocabulary(Base):
    """Every word of the index and how many accounts it names, so a search reads the
    accounts of its rarest words."""

    __tablename__ = "name_vocabulary"
    __table_args__ = ({"sqlite_with_rowid": False},)

    word: Mapped[str] = mapped_column(_WORD, primary_key=True)
    accounts: Mapped[int]


class NameWordVariant(Base):
    """A word of the vocabulary with one character left out, to find it despite a typo."""

    __tablename__ = "name_word_variants"
    __table_args__ = ({"sqlite_with_rowid": False},)

    variant: Mapped[str] = mapped_column(_WORD, primary_key=True)
    word: Mapped[str] = mapped_column(_WORD, primary_key=True)


class ScoreHistory(Base):
    """Every score an account received, for trend charts and audits."""

    __tablename__ = "score_history"
    __table_args__ = (Index(None, "account_id", "scored_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[float]
    sub_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tier: Mapped[str]
    model_name: Mapped[str]
    model_version: Mapped[int]
    cause: Mapped[ScoreCause] = mapped_column(string_enum(ScoreCause, "cause"))


class TierChange(Base):
    """A move from one tier to another, with the reasons shown to people."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index(None, "account_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    old_tier: Mapped[str | None]  # None on the first grading
    new_tier: Mapped[str]
    old_score: Mapped[float | None]
    new_score: Mapped[float | None]
    cause: Mapped[ScoreCause] = mapped_column(string_enum(ScoreCause, "cause"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reasons: Mapped[list[str]] = mapped_column(default=list)


class AuditEntry(Base):
    """Who did what to which record, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key: the log must outlive the people in it; actor_label keeps
    # them identifiable after deletion.
    actor_id: Mapped[int | None]
    actor_label: Mapped[str]  # "slack:U123", "telegram:4567", "cli"
    action: Mapped[str]
    target_type: Mapped[str]
    target_id: Mapped[str]
    channel: Mapped[Channel] = mapped_column(string_enum(Channel, "channel"))
    before: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDocument)
    after: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDocument)


class OutboxMessage(Base):
    """A message waiting to be sent, so alerts survive restarts and are sent once."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(string_enum(OutboxKind, "kind"))
    recipient: Mapped[str]  # "slack:U123", "telegram:4567", "slack-channel:C1"
    payload: Mapped[dict[str, Any]]
    # Unique so that re-running a job cannot queue the same message twice.
    dedupe_key: Mapped[str] = mapped_column(unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus, "status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None]


class ModelVersion(Base):
    """A saved scoring model definition; one version per name is active."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        # At most one active version per model, even if two admins activate at once.
        Index(
            "ix_model_versions_one_active",
            "name",
            unique=True,
            sqlite_where=sql_text("is_active"),
            postgresql_where=sql_text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)  # the YAML exactly as uploaded
    checksum: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)


class ConversationState(Base):
    """Where a person is in a multi-step chat flow, per chat."""

    __tablename__ = "conversation_state"

    platform: Mapped[ChatPlatform] = mapped_column(
        string_enum(ChatPlatform, "platform"), primary_key=True
    )
    chat_id: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(primary_key=True)
    flow: Mapped[str]
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ProcessedDelivery(Base):
    """A Slack event or Telegram update already handled; platforms retry deliveries."""

    __tablename__ = "processed_deliveries"

    platform: Mapped[ChatPlatform] = mapped_column(
        string_enum(ChatPlatform, "platform"), primary_key=True
    )
    delivery_id: Mapped[str] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ScheduledRun(Base):
    """A claim on one period of a scheduled job, so that only one worker runs it."""

    __tablename__ = "scheduled_runs"

    job: Mapped[str] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(primary_key=True)  # e.g. "2024-W07", "2024-05-01"
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str]  # worker identity, e.g. host and pid
