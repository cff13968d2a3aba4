"""Alert rows for the outbox, written in the same transaction as the tier change.

Recipients are the owner's chat identities (unless they turned alerts off) and the
channels routed to the old or the new tier. The delivery worker sends them later;
the dedupe key keeps a re-run from queueing a message twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.enums import ChatPlatform, OutboxKind
from bot.store.tables import ChatIdentity, OutboxMessage, Person, TierChange
from scoring import CompiledModel

NEXT_STEPS = 2
_ALERT_PLATFORMS = (ChatPlatform.SLACK, ChatPlatform.TELEGRAM)
# The playbook texts alerts carry, so the worker needs no model to render them.
_ALERT_LOCALES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Alert:
    change: TierChange  # flushed, so it has an id
    account_name: str
    owner_id: int | None
    actor_name: str


@dataclass(frozen=True, slots=True)
class _Recipient:
    address: str
    language: str | None


async def queue_alerts(
    session: AsyncSession,
    alerts: Sequence[Alert],
    *,
    routes: Mapping[str, list[str]],
    model: CompiledModel,
    now: datetime,
) -> None:
    if not alerts:
        return
    owner_ids = sorted({a.owner_id for a in alerts if a.owner_id})
    owners = await _owner_recipients(session, owner_ids) if owner_ids else {}
    session.add_all(
        _message(alert, recipient, model, now)
        for alert in alerts
        for recipient in _recipients(alert, owners.get(alert.owner_id, ()), routes)
    )


def _recipients(
    alert: Alert, owner: Iterable[_Recipient], routes: Mapping[str, list[str]]
) -> Iterator[_Recipient]:
    change = alert.change
    channels = [*routes.get(change.old_tier or "", []), *routes.get(change.new_tier, [])]
    seen: set[str] = set()
    for recipient in [*owner, *(_Recipient(address, None) for address in channels)]:
        if recipient.address not in seen:
            seen.add(recipient.address)
            yield recipient


async def _owner_recipients(
    session: AsyncSession, owner_ids: list[int]
) -> dict[int | None, list[_Recipient]]:
    rows = await session.execute(
        select(
            ChatIdentity.person_id,
            ChatIdentity.platform,
            ChatIdentity.platform_user_id,
            Person.language,
        )
        .join(Person, Person.id == ChatIdentity.person_id)
        .where(
            ChatIdentity.person_id.in_(owner_ids),
            ChatIdentity.platform.in_(_ALERT_PLATFORMS),
            Person.alerts_enabled,
        )
        .order_by(ChatIdentity.id)
    )
    found: dict[int | None, list[_Recipient]] = {}
    for person_id, platform, user_id, language in rows:
        address = f"{platform.value}:{user_id}"
        found.setdefault(person_id, []).append(_Recipient(address, language and language.value))
    return found


def _message(alert: Alert, to: _Recipient, model: CompiledModel, now: datetime) -> OutboxMessage:
    change = alert.change
    return OutboxMessage(
        kind=OutboxKind.ALERT,
        recipient=to.address,
        payload=_payload(alert, to, model),
        dedupe_key=f"tier_change:{change.id}:{to.address}",
        next_attempt_at=now,
        created_at=now,
    )


def _payload(alert: Alert, to: _Recipient, model: CompiledModel) -> dict[str, Any]:
    change = alert.change
    return {
        "type": "tier_change",
        "tier_change_id": change.id,
        "account_id": change.account_id,
        "account_name": alert.account_name,
        "old_tier": change.old_tier,
        "new_tier": change.new_tier,
        "old_score": change.old_score,
        "new_score": change.new_score,
        "cause": change.cause.value,
        "actor": alert.actor_name,
        "reasons": list(change.reasons),
        "next_steps": next_steps(model, change.new_tier),
        "language": to.language,
    }


def next_steps(model: CompiledModel, tier: str) -> list[dict[str, str]]:
    playbook = model.playbook(tier)
    steps = playbook.next_steps[:NEXT_STEPS] if playbook is not None else ()
    return [{locale: step.get(locale) for locale in _ALERT_LOCALES} for step in steps]
