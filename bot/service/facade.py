"""TieringService: every use-case the adapters, the conversation core and the CLI may call.

Each method is one use-case in one transaction; the work is done by the small module
named for its concept. Build one per process in the composition root::

    service = TieringService(database, clock=SystemClock(), model_source=settings.model,
                             alert_routes=settings.alert_routes(),
                             reps_update_all=settings.reps_update_all,
                             conversation_timeout=timedelta(
                                 minutes=settings.conversation_timeout_minutes))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.service import (
    accounts,
    conversations,
    creation,
    deliveries,
    departures,
    exports,
    imports,
    lists,
    models,
    overrides,
    people,
    qualifications,
    regrading,
    search_index,
    undo,
    updates,
    what_if,
)
from bot.service.accounts import READ_MODEL_AGE
from bot.service.actor import Actor
from bot.service.context import ServiceContext
from bot.service.import_checks import ImportRow
from bot.service.people import KEEP, Kept
from bot.service.permissions import may_edit
from bot.service.registry import CompiledModels, ModelRegistry
from bot.service.rescoring import Tally
from bot.service.views import (
    AccountExport,
    AccountMatch,
    AccountSummary,
    ActivationReport,
    Card,
    ImportReport,
    ModelInfo,
    PersonView,
    ReviewItem,
    TierChangeView,
    UndoOutcome,
    UpdateOutcome,
)
from bot.store.db import Database
from bot.store.enums import Language, LifecycleStage, Role, ScoreCause
from scoring import CompiledModel, ImpactReport


class TieringService:
    def __init__(
        self,
        database: Database,
        *,
        clock: Clock,
        model_source: str = "default",
        alert_routes: Mapping[str, list[str]] | None = None,
        reps_update_all: bool = False,
        conversation_timeout: timedelta = timedelta(minutes=30),
        compiled_models: CompiledModels | None = None,
    ) -> None:
        """``compiled_models`` may be shared by services in one process (e.g. tests)."""
        self._ctx = ServiceContext(
            database=database,
            clock=clock,
            models=ModelRegistry(database, clock, model_source, compiled_models),
            alert_routes=dict(alert_routes or {}),
            reps_update_all=reps_update_all,
            conversation_timeout=conversation_timeout,
        )

    # -- the model ---------------------------------------------------------------------

    async def active_model(self) -> CompiledModel:
        """The model accounts are graded with (installing ``model_source`` if none is active)."""
        async with self._ctx.database.session() as session:
            return (await self._ctx.models.active(session, max_age=READ_MODEL_AGE)).model

    async def model_info(self) -> ModelInfo:
        return await models.current_info(self._ctx)

    def compile_model(self, text: str, source: str) -> CompiledModel:
        """Check a model text; InvalidInput names ``source`` and each problem's key path."""
        return models.compile_text(self._ctx, text, source)

    async def preview_model(self, text: str, source: str) -> ImpactReport:
        return await models.preview_model(self._ctx, text, source)

    async def activate_model(
        self,
        actor: Actor,
        text: str,
        source: str,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> ActivationReport:
        return await models.activate_model(self._ctx, actor, text, source, progress)

    def may_edit(self, actor: Actor, owner_id: int | None) -> bool:
        """Whether ``actor`` may change an account of ``owner_id`` (so chat offers only
        the buttons that will work)."""
        return may_edit(actor, owner_id, reps_update_all=self._ctx.reps_update_all)

    async def regrade(
        self, actor: Actor, *, progress: Callable[[int, int], None] | None = None
    ) -> Tally:
        """Score every account as of today: dated facts age (see :mod:`regrading`)."""
        return await regrading.regrade(self._ctx, actor, progress)

    async def regrade_once_today(self, worker_id: str) -> Tally | None:
        """:meth:`regrade` unless a process already did today; None then."""
        return await regrading.regrade_once_today(self._ctx, worker_id)

    # -- finding and showing accounts ------------------------------------------------------

    async def find_accounts(self, text: str, limit: int = 5) -> list[AccountMatch]:
        """Accounts ``text`` may mean, best first; none too unlike it to suggest."""
        return await accounts.find(self._ctx, text, limit, at_least=accounts.DID_YOU_MEAN)

    async def exact_account(self, text: str) -> AccountSummary | None:
        """The one account whose name (as written) or external id is ``text``: two index
        lookups, no fuzzy search."""
        return await accounts.exact(self._ctx, text)

    async def resolve_account(self, text: str) -> AccountSummary:
        return await accounts.resolve(self._ctx, text)

    async def what_if(
        self,
        text: str,
        facts: Mapping[str, object] | None = None,
        *,
        model: CompiledModel | None = None,
        locale: str = "en",
    ) -> Card:
        """The card of the account ``text`` names with ``facts`` changed and/or scored by
        ``model``; nothing is saved (see :mod:`bot.service.what_if`)."""
        return await what_if.what_if(self._ctx, text, facts, model, locale)

    async def card(self, account_id: int, *, locale: str = "en") -> Card:
        return await accounts.card(self._ctx, account_id, locale)

    async def named_card(self, text: str, *, locale: str = "en") -> Card:
        """The card of the account ``text`` names (as ``resolve_account`` finds it)."""
        return await accounts.named_card(self._ctx, text, locale)

    # -- changing accounts ---------------------------------------------------------------

    async def update_facts(
        self,
        actor: Actor,
        account_id: int,
        raw: Mapping[str, object],
        *,
        expected_version: int | None = None,
    ) -> UpdateOutcome:
        return await updates.update_facts(self._ctx, actor, account_id, raw, expected_version)

    async def override(
        self, actor: Actor, account_id: int, tier: str, reason: str, *, until: datetime | None
    ) -> Card:
        return await overrides.override(self._ctx, actor, account_id, tier, reason, until)

    async def clear_override(self, actor: Actor, account_id: int) -> Card:
        return await overrides.clear_override(self._ctx, actor, account_id)

    async def expire_overrides(self) -> int:
        return await overrides.expire_overrides(self._ctx)

    async def undo_last(self, actor: Actor, account_id: int) -> UndoOutcome:
        return await undo.undo_last(self._ctx, actor, account_id)

    async def mark_reviewed(self, actor: Actor, account_id: int) -> AccountSummary:
        return await updates.mark_reviewed(self._ctx, actor, account_id)

    async def create_account(
        self,
        actor: Actor,
        name: str,
        *,
        facts: Mapping[str, object] | None = None,
        owner_id: int | None = None,
        external_id: str | None = None,
        lifecycle_stage: LifecycleStage = LifecycleStage.PROSPECT,
        aliases: Sequence[str] = (),
        cause: ScoreCause = ScoreCause.UPDATE,
        notify: bool = True,
    ) -> Card:
        """Create, score and audit an account; ``notify=False`` queues no alert (imports)."""
        new = creation.NewAccount(
            name, dict(facts or {}), owner_id, external_id, lifecycle_stage, aliases, cause, notify
        )
        return await creation.create_account(self._ctx, actor, new)

    async def save_qualification(
        self,
        actor: Actor,
        name: str,
        qualified: qualifications.QualifiedProspect,
        *,
        facts: Mapping[str, object] | None = None,
    ) -> qualifications.SavedQualification:
        """Keep a prospect's qualification with the account of that name, or with a new
        prospect account (see :mod:`bot.service.qualifications`)."""
        return await qualifications.save_qualification(
            self._ctx, actor, name, qualified, facts or {}
        )

    # -- files in and out -------------------------------------------------------------

    async def import_accounts(
        self,
        actor: Actor,
        rows: Sequence[ImportRow],
        *,
        source: str,
        dry_run: bool = False,
        skip_invalid: bool = False,
        notify: bool = False,
        headers: Mapping[str, str] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> ImportReport:
        """Upsert accounts by external id; see :mod:`bot.service.imports`.

        ``headers`` names each column as the file does, for the problems reported;
        ``progress`` hears ("checking" or "writing", done, total).
        """
        options = imports.ImportOptions(source, dry_run, skip_invalid, notify, headers or {})
        return await imports.import_accounts(self._ctx, actor, rows, options, progress)

    async def export_accounts(
        self, *, tier: str | None = None, owner: str | None = None
    ) -> AccountExport:
        """Accounts as text rows in batches (optionally of one tier or one owner)."""
        return await exports.export_accounts(self._ctx, tier, owner)

    # -- lists -------------------------------------------------------------------------

    async def accounts_by_owner(self, person_id: int) -> dict[str, list[AccountSummary]]:
        return await lists.accounts_by_owner(self._ctx, person_id)

    async def movers(
        self, since: datetime, *, owner_id: int | None = None, limit: int = 50
    ) -> list[TierChangeView]:
        return await lists.movers(self._ctx, since, owner_id, limit)

    async def review_list(self, person_id: int, *, near_points: float = 3.0) -> list[ReviewItem]:
        return await lists.review_list(self._ctx, person_id, near_points)

    async def tier_distribution(self, owner_id: int | None = None) -> dict[str, int]:
        return await lists.tier_distribution(self._ctx, owner_id)

    async def history(self, account_id: int, limit: int = 10) -> list[TierChangeView]:
        return await lists.history(self._ctx, account_id, limit)

    # -- people ------------------------------------------------------------------------

    async def add_person(
        self,
        actor: Actor,
        name: str,
        role: Role | str,
        *,
        slack: str | None = None,
        telegram: str | None = None,
        email: str | None = None,
        language: Language | str | None = None,
        time_zone: str = "UTC",
    ) -> PersonView:
        new = people.NewPerson(name, role, slack, telegram, email, language, time_zone)
        return await people.add_person(self._ctx, actor, new)

    async def list_people(self) -> list[PersonView]:
        return await people.list_people(self._ctx)

    async def remove_person(
        self, actor: Actor, name: str, *, accounts_to: str | None = None
    ) -> PersonView:
        """Remove a person; the accounts they own go to ``accounts_to``, which must be
        named when they own any (see :mod:`bot.service.departures`)."""
        return await departures.remove_person(self._ctx, actor, name, accounts_to)

    async def set_role(self, actor: Actor, name_or_identity: str, role: Role | str) -> PersonView:
        return await people.set_role(self._ctx, actor, name_or_identity, role)

    async def person_by_identity(self, platform: str, platform_user_id: str) -> PersonView | None:
        return await people.person_by_identity(self._ctx, platform, platform_user_id)

    async def person_by_name(self, name: str) -> PersonView:
        return await people.person_by_name(self._ctx, name)

    async def ensure_person(
        self,
        platform: str,
        platform_user_id: str,
        *,
        name: str,
        role: Role | str,
        language: Language | str | None = None,
        team_id: str | None = None,
    ) -> PersonView:
        return await people.ensure_person(
            self._ctx,
            platform,
            platform_user_id,
            name=name,
            role=role,
            language=language,
            team_id=team_id,
        )

    async def update_preferences(
        self,
        actor: Actor,
        *,
        language: Language | str | Kept | None = KEEP,
        alerts_enabled: bool | Kept = KEEP,
        digest_enabled: bool | Kept = KEEP,
        time_zone: str | Kept = KEEP,
    ) -> PersonView:
        """Change the actor's own preferences; ``language=None`` follows the platform again."""
        wanted = people.Preferences(language, alerts_enabled, digest_enabled, time_zone)
        return await people.update_preferences(self._ctx, actor, wanted)

    async def link_identity(
        self,
        actor: Actor,
        name_or_identity: str,
        platform: str,
        platform_user_id: str,
        *,
        team_id: str | None = None,
    ) -> PersonView:
        return await people.link_identity(
            self._ctx, actor, name_or_identity, platform, platform_user_id, team_id
        )

    # -- conversation state and deliveries -------------------------------------------------

    async def load_state(
        self, platform: str, chat_id: str, user_id: str
    ) -> tuple[str, dict[str, Any]] | None:
        return await conversations.load_state(self._ctx, platform, chat_id, user_id)

    async def save_state(
        self, platform: str, chat_id: str, user_id: str, flow: str, state: dict[str, Any]
    ) -> None:
        await conversations.save_state(self._ctx, platform, chat_id, user_id, flow, state)

    async def clear_state(self, platform: str, chat_id: str, user_id: str) -> None:
        await conversations.clear_state(self._ctx, platform, chat_id, user_id)

    async def prune_states(self) -> int:
        return await conversations.prune_states(self._ctx)

    async def first_delivery(self, platform: str, delivery_id: str) -> bool:
        return await deliveries.first_delivery(self._ctx, platform, delivery_id)

    async def prune_deliveries(self, older_than: timedelta) -> int:
        return await deliveries.prune_deliveries(self._ctx, older_than)

    async def tidy_name_index(self, *, thorough: bool = False) -> None:
        """A slice of index upkeep; ``thorough`` after bulk loads (see search_index)."""
        await search_index.tidy(self._ctx, thorough=thorough)

    async def reindex_names(self) -> int:
        """Rebuild the word index of account names; how many accounts it covers."""
        return await search_index.reindex(self._ctx)
