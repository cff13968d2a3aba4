"""Reading import files (CSV in any common encoding and delimiter, XLSX) and mapping columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.importing import ImportFileError, MappingError, UnreadableFile, read_accounts
from bot.model_files import open_model
from scoring import CompiledModel

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return open_model("default")


def values(path: Path, model: CompiledModel, **options: str) -> list[dict[str, object]]:
    return [dict(row.values) for row in read_accounts(path, model, **options).rows]


def test_the_hubspot_preset_maps_a_companies_export_onto_the_default_model(
    model: CompiledModel,
) -> None:
    mapped = read_accounts(FIXTURES / "hubspot_companies.csv", model, mapping="hubspot")

    first, _, globex, initech = (dict(row.values) for row in mapped.rows)
    assert first == {
        "external_id": "9051234001",
        "name": "Apex Industries",
        "owner": "Ravi Rep",
        "industry": "finance",  # "Financial Services"
        "company_size": "large",  # 1,200 employees
        "lifecycle_stage": "first_purchase",  # "Customer"
        "cumulative_revenue": "12500000",  # Total Revenue: closed-won deals
        "last_order_date": "2026-02-10",
    }
    assert (globex["industry"], globex["company_size"], globex["lifecycle_stage"]) == (
        "other",
        "small",
        "prospect",
    )
    assert initech["industry"] is None  # an empty cell stays empty
    assert "Annual Revenue" in mapped.ignored
    assert mapped.headers["cumulative_revenue"] == "Total Revenue"


def test_the_salesforce_preset_maps_an_accounts_export(model: CompiledModel) -> None:
    rows = values(FIXTURES / "salesforce_accounts.csv", model, mapping="salesforce")

    assert [(r["external_id"], r["industry"], r["company_size"]) for r in rows] == [
        ("0015g00000XyZ1AAA", "finance", "large"),
        ("0015g00000XyZ2AAA", "transport", "medium"),
        ("0015g00000XyZ3AAA", "other", "small"),
    ]
    assert [r["lifecycle_stage"] for r in rows] == ["first_purchase", "first_purchase", "prospect"]


def test_a_gb18030_csv_with_semicolons_and_chinese_headers_is_read(
    model: CompiledModel,
) -> None:
    rows = values(FIXTURES / "accounts_gb18030.csv", model)

    assert rows[0] == {
        "external_id": "CN-1",
        "name": "华信制造有限公司",
        "owner": "Lin Rep",
        "cumulative_revenue": "1200万",
        "industry": "制造业",
        "company_size": "大型企业",
    }


def test_utf8_with_a_byte_order_mark_and_tabs_is_read(model: CompiledModel, tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text("External ID\tName\tIndustry\nX-1\tÜber AG\tfinance\n", encoding="utf-8-sig")

    assert values(path, model) == [{"external_id": "X-1", "name": "Über AG", "industry": "finance"}]


def test_an_xlsx_file_keeps_numbers_and_dates_and_its_row_numbers(model: CompiledModel) -> None:
    mapped = read_accounts(FIXTURES / "accounts.xlsx", model)

    assert [row.number for row in mapped.rows] == [2, 4]  # row 3 is blank
    assert mapped.rows[1].values["cumulative_revenue"] == 300000.5
    assert str(mapped.rows[0].values["last_order_date"]) == "2026-02-01"
    archive = read_accounts(FIXTURES / "accounts.xlsx", model, sheet="Archive")
    assert [dict(row.values) for row in archive.rows] == [
        {"external_id": "OLD-1", "name": "Old Account"}
    ]


def test_a_mapping_file_renames_translates_and_reads_decimal_commas(
    model: CompiledModel,
) -> None:
    mapped = read_accounts(
        FIXTURES / "custom_crm.csv", model, mapping=str(FIXTURES / "mapping_custom_crm.yaml")
    )

    assert dict(mapped.rows[0].values) == {
        "external_id": "DE-1",
        "name": "Müller Maschinen",
        "owner": "Ravi Rep",
        "cumulative_revenue": "1250000.50",
        "industry": "manufacturing",
        "company_size": "large",
    }
    assert mapped.ignored == ("Notiz",)


def test_a_bad_mapping_file_names_the_file_each_key_and_the_problem(
    model: CompiledModel,
) -> None:
    with pytest.raises(MappingError) as caught:
        read_accounts(
            FIXTURES / "hubspot_companies.csv", model, mapping=str(FIXTURES / "bad_mapping.yaml")
        )

    assert caught.value.source.endswith("bad_mapping.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "sheet: unknown key 'sheet'",
        "columns.Revenue: unknown tierbot column 'cumulative_revenu'; "
        "did you mean 'cumulative_revenue'?",
        "values.industry.Banking: 'banks' is not one of: manufacturing, finance, healthcare, "
        "retail, energy, transport, other",
        "numbers.decimal: ';' must be one of: '.', ','",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty: no header row"),
        (b"Name,name\nAcme,Acme\n", "column name: appears twice (columns 1 and 2)"),
        (b"Name\n\xff\xfe\xfd\x81\n", "encoding: not UTF-8 or GB18030 text"),
    ],
)
def test_an_unreadable_file_says_why(
    model: CompiledModel, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "book.csv"
    path.write_bytes(content)

    with pytest.raises(UnreadableFile) as caught:
        read_accounts(path, model)

    assert caught.value.source == str(path)
    assert str(caught.value.problems[0]).startswith(problem)


def test_a_missing_sheet_lists_the_sheets(model: CompiledModel) -> None:
    with pytest.raises(ImportFileError, match="no sheet 'Data'; sheets: Accounts, Archive"):
        read_accounts(FIXTURES / "accounts.xlsx", model, sheet="Data")
