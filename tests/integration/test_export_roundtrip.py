"""Exporting accounts: the columns people need, filters, and a lossless round trip."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from bot.importing import read_accounts
from bot.service import Actor, InvalidInput, PersonNotFound, TieringService
from bot.service.exports import BATCH, inert
from bot.service.import_checks import ImportRow
from bot.store.db import Database
from bot.testing.builders import A_FACTS, B_FACTS, C_FACTS, add_team, service_for
from bot.testing.clock import FakeClock

REQUIRED = (
    "external_id",
    "name",
    "owner",
    "tier",
    "score",
    "scored_tier",
    "override",
    "lifecycle_stage",
    "reasons",
)


async def export_to(service: TieringService, path: Path, **filters: str) -> list[dict[str, str]]:
    export = await service.export_accounts(**filters)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(export.columns)
        async for batch in export.batches:
            writer.writerows(batch)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


async def test_an_export_has_the_columns_people_need_and_imports_back_with_no_changes(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.service.exports.BATCH", 2)  # several batches even for three
    assert BATCH > 2
    clock = FakeClock()
    service = service_for(database, clock)
    team = await add_team(service)
    rows = [
        ImportRow(2, {"external_id": "CRM-1", "name": "Apex", "owner": "Ravi Rep", **A_FACTS}),
        ImportRow(
            3, {"external_id": "CRM-2", "name": "华信", "aliases": "Acme; 华信集团", **B_FACTS}
        ),
        ImportRow(4, {"external_id": "CRM-3", "name": "Globex, Inc.", **C_FACTS}),
    ]
    await service.import_accounts(Actor.cli(), rows, source="crm.csv")
    globex = await service.resolve_account("CRM-3")
    until = clock.now() + timedelta(days=30)
    await service.override(team.actor(team.manager), globex.id, "A", "pilot", until=until)

    exported = await export_to(service, tmp_path / "accounts.csv")

    assert [row["external_id"] for row in exported] == ["CRM-1", "CRM-2", "CRM-3"]
    assert set(REQUIRED) <= set(exported[0])
    assert "cumulative_revenue" in exported[0]
    apex, huaxin, globex_row = exported
    assert (apex["owner"], apex["tier"], apex["score"], apex["override"]) == (
        "Ravi Rep",
        "A",
        "91.50",
        "",
    )
    assert apex["reasons"] == (
        "Credit standing: excellent (40.0/40); Last order: within 3 months (40.0/40); "
        "Cumulative revenue: 10M CNY or more (30.0/30)"
    )
    assert (apex["cumulative_revenue"], apex["last_order_date"]) == ("12000000", "2026-02-01")
    assert huaxin["aliases"] == "Acme; 华信集团"
    assert (globex_row["tier"], globex_row["scored_tier"], globex_row["override"]) == (
        "A",
        "C",
        "A",
    )
    again = read_accounts(tmp_path / "accounts.csv", await service.active_model())
    report = await service.import_accounts(Actor.cli(), again.rows, source="accounts.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert again.ignored == ()  # tier, score, reasons... are known to be computed

    only_a = await export_to(service, tmp_path / "a.csv", tier="A", owner="ravi rep")
    assert [row["external_id"] for row in only_a] == ["CRM-1"]
    with pytest.raises(InvalidInput):
        await service.export_accounts(tier="Z")
    with pytest.raises(PersonNotFound):
        await service.export_accounts(owner="Nobody")


async def test_very_large_and_very_small_numbers_export_as_plain_digits_and_import_back(
    database: Database, tmp_path: Path
) -> None:
    service = service_for(database, FakeClock())
    extremes = {"cumulative_revenue": 1.2345678901234568e29, "profit_margin": 0.00001}
    row = ImportRow(2, {"external_id": "X-1", "name": "Kovira", **extremes})
    await service.import_accounts(Actor.cli(), [row], source="crm.csv")

    [exported] = await export_to(service, tmp_path / "accounts.csv")

    assert exported["profit_margin"] == "0.00001"
    assert exported["cumulative_revenue"] == "123456789012345680000000000000"
    again = read_accounts(tmp_path / "accounts.csv", await service.active_model())
    report = await service.import_accounts(Actor.cli(), again.rows, source="accounts.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+Plus", "'+Plus"),
        ("-Minus", "'-Minus"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturned", "'\rReturned"),
        ("'=already quoted", "''=already quoted"),  # one more quote: one is removed on import
        ("'Quoted", "'Quoted"),
        ("Apex = best", "Apex = best"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_one_leading_quote(text: str, cell: str) -> None:
    assert inert(text) == cell


async def test_names_a_spreadsheet_would_run_import_back_unchanged(
    database: Database, tmp_path: Path
) -> None:
    service = service_for(database, FakeClock())
    await service.add_person(Actor.cli(), "+Plus Rep", "rep")
    row = {"external_id": "-F-1", "name": "=1+1", "owner": "+Plus Rep", "aliases": "@x; -y"}
    await service.import_accounts(Actor.cli(), [ImportRow(2, row)], source="crm.csv")

    [exported] = await export_to(service, tmp_path / "accounts.csv")
    again = read_accounts(tmp_path / "accounts.csv", await service.active_model())
    report = await service.import_accounts(Actor.cli(), again.rows, source="accounts.csv")

    assert (exported["name"], exported["owner"]) == ("'=1+1", "'+Plus Rep")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
