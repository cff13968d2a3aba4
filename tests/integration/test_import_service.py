"""Importing accounts in bulk through the service: checked first, upserted by external id."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from sqlalchemy import func, select

from bot.service import Actor, InvalidInput, TieringService
from bot.service.import_checks import ImportRow
from bot.store.db import Database
from bot.store.enums import Channel, ScoreCause
from bot.store.tables import Account, AuditEntry, ScoreHistory, TierChange
from bot.testing.builders import A_FACTS, B_FACTS, C_FACTS, add_team, row_counts, service_for


def rows(*values: Mapping[str, object]) -> list[ImportRow]:
    """Rows as a file holds them: the header is row 1, so data starts on row 2."""
    return [ImportRow(number, dict(row)) for number, row in enumerate(values, 2)]


BOOK = rows(
    {"external_id": "CRM-1", "name": "Apex Industries", "owner": "Ravi Rep", **A_FACTS},
    {"external_id": "CRM-2", "name": "Acme Corp", "owner": "lin rep", **B_FACTS},
    {"external_id": "CRM-3", "name": "Globex", "aliases": "Globex Ltd; 环球", **C_FACTS},
)


@pytest.fixture
async def service(database: Database) -> TieringService:
    service = service_for(database, alert_routes={"A": ["slack-channel:C0KEY"]})
    await add_team(service)
    return service


async def test_an_import_creates_scored_accounts_with_history_audit_and_no_alerts(
    service: TieringService, database: Database
) -> None:
    report = await service.import_accounts(Actor.cli(), BOOK, source="book.csv")

    assert (report.created, report.updated, report.unchanged, report.skipped) == (3, 0, 0, ())
    assert report.new_tiers == {"A": 1, "B": 1, "C": 1}
    globex = await service.resolve_account("环球")
    assert (globex.external_id, globex.tier, globex.owner_name) == ("CRM-3", "C", None)
    assert (await service.resolve_account("CRM-2")).owner_name == "Lin Rep"
    assert await row_counts(database) == {
        "audit_log": 3 + 3,  # the team, then one entry per account
        "score_history": 3,
        "tier_changes": 3,
        "outbox": 0,
    }
    async with database.session() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
        changes = (await session.scalars(select(TierChange))).all()
        causes = set(await session.scalars(select(ScoreHistory.cause)))
    assert entry is not None
    assert (entry.channel, entry.before) == (Channel.CLI, None)
    assert entry.after is not None
    assert entry.after["source"] == "book.csv"
    assert {c.cause for c in changes} == causes == {ScoreCause.IMPORT}
    assert {(c.old_tier, c.new_tier) for c in changes} == {(None, "A"), (None, "B"), (None, "C")}


async def test_one_bad_row_imports_nothing_and_every_problem_names_row_and_column(
    service: TieringService, database: Database
) -> None:
    bad = rows(
        {"external_id": "CRM-1", "name": "Apex", "cumulative_revenue": "abc"},
        {"external_id": "CRM-2", "name": "", "owner": "Nobody", "lifecycle_stage": "vip"},
        {"external_id": "CRM-1", "name": "Apex again"},
    )

    with pytest.raises(InvalidInput) as caught:
        await service.import_accounts(
            Actor.cli(), bad, source="book.csv", headers={"cumulative_revenue": "Revenue"}
        )

    assert caught.value.source == "book.csv"
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "row 2, column Revenue: 'abc' is not a number (e.g. 1200000, 1.2M, 350k, 120万)",
        "row 3, column name: missing: every row needs the account name",
        "row 3, column owner: no person named 'Nobody' (add them with: tierbot people add)",
        "row 3, column lifecycle_stage: 'vip' is not one of: prospect, first_purchase, "
        "repeat, loyal, churned",
        "row 4, column external_id: 'CRM-1' is also on row 2",
    ]
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0


async def test_skip_invalid_imports_the_good_rows_and_lists_the_bad(
    service: TieringService,
) -> None:
    bad = ImportRow(5, {"external_id": "CRM-9", "name": "Bad", "orders_per_year": -1})
    mixed = [*BOOK, bad]

    report = await service.import_accounts(Actor.cli(), mixed, source="book.csv", skip_invalid=True)

    assert (report.created, report.skipped_rows) == (3, 1)
    assert [(p.row, p.column) for p in report.skipped] == [(5, "orders_per_year")]


async def test_importing_the_same_file_again_changes_nothing_and_a_changed_row_only_itself(
    service: TieringService, database: Database
) -> None:
    await service.import_accounts(Actor.cli(), BOOK, source="book.csv")
    before = await row_counts(database)

    again = await service.import_accounts(Actor.cli(), BOOK, source="book.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert await row_counts(database) == before
    lifted = dict(BOOK[1].values) | {"orders_per_year": 12, "revenue_growth": "40%"}
    lifted |= {"cumulative_revenue": "12M", "credit_standing": "excellent", "owner": ""}
    changed = await service.import_accounts(
        Actor.cli(), [BOOK[0], ImportRow(3, lifted), BOOK[2]], source="book.csv", notify=True
    )
    assert (changed.created, changed.updated, changed.unchanged, changed.up) == (0, 1, 2, 1)
    (change,) = changed.changes
    assert (change.external_id, change.old_tier, change.new_tier) == ("CRM-2", "B", "A")
    assert change.fields["orders_per_year"] == (6.0, 12.0)
    acme = await service.resolve_account("CRM-2")
    assert (acme.tier, acme.owner_name, acme.version) == ("A", "Lin Rep", 2)  # owner kept
    assert await row_counts(database) == {
        "audit_log": before["audit_log"] + 1,
        "score_history": before["score_history"] + 1,
        "tier_changes": before["tier_changes"] + 1,
        "outbox": 2,  # notify: the owner on Telegram and the channel routed to A
    }


async def test_a_dry_run_reports_exactly_what_would_change_and_writes_nothing(
    service: TieringService, database: Database
) -> None:
    await service.import_accounts(Actor.cli(), BOOK[:1], source="book.csv")
    before = await row_counts(database)
    renamed = ImportRow(2, dict(BOOK[0].values) | {"name": "Apex Group"})

    report = await service.import_accounts(
        Actor.cli(), [renamed, *BOOK[1:]], source="book.csv", dry_run=True
    )

    assert (report.dry_run, report.created, report.updated, report.unchanged) == (True, 2, 1, 0)
    assert [(c.external_id, c.created) for c in report.changes] == [
        ("CRM-1", False),
        ("CRM-2", True),
        ("CRM-3", True),
    ]
    assert report.changes[0].fields == {"name": ("Apex Industries", "Apex Group")}
    assert await row_counts(database) == before
    assert (await service.resolve_account("CRM-1")).name == "Apex Industries"
