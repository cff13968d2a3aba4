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
        (b"Name\n\xff\xfe\xfd\x81\n", "encoding: not UTF-8, GB18030 or Windows-1252 text"),
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


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            "columns: {Firma: [name]}\n",
            "columns.Firma: expected a tierbot column name, not a list ['name'] "
            "(remove the brackets or dashes)",
        ),
        (
            "values:\n  industry:\n    Banking: [finance]\n",
            "values.industry.Banking: expected one value (text or a number), "
            "not a list ['finance'] (remove the brackets or dashes)",
        ),
        (
            "preset: [hubspot]\n",
            "preset: expected a preset name, not a list ['hubspot'] "
            "(remove the brackets or dashes)",
        ),
    ],
)
def test_a_mapping_with_a_list_where_a_name_belongs_names_the_key(
    model: CompiledModel, tmp_path: Path, yaml_text: str, problem: str
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml_text, encoding="utf-8")

    with pytest.raises(MappingError) as caught:
        read_accounts(FIXTURES / "hubspot_companies.csv", model, mapping=str(mapping))

    assert caught.value.source == str(mapping)
    assert [str(p) for p in caught.value.problems] == [problem]


def test_a_mapping_file_saved_as_gbk_asks_for_utf8(model: CompiledModel, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes("columns:\n  公司: name\n".encode("gbk"))

    with pytest.raises(MappingError) as caught:
        read_accounts(FIXTURES / "hubspot_companies.csv", model, mapping=str(mapping))

    assert caught.value.source == str(mapping)
    assert [str(p) for p in caught.value.problems] == [
        "encoding: not UTF-8 text, cannot decode it; save it as UTF-8"
    ]


@pytest.mark.parametrize("mapping", [None, "salesforce"])
def test_a_file_without_an_id_or_name_column_says_so_once(
    model: CompiledModel, tmp_path: Path, mapping: str | None
) -> None:
    path = tmp_path / "book.csv"
    path.write_text("Foo,Bar\n" + "".join(f"{i},x\n" for i in range(3000)), encoding="utf-8")

    with pytest.raises(MappingError) as caught:
        read_accounts(path, model, mapping=mapping)

    assert [str(p) for p in caught.value.problems] == [
        "header: no column for the CRM id: call one 'External ID', 'CRM ID' or 'ID', "
        "or map one to external_id with a mapping file; columns: 'Foo', 'Bar'",
        "header: no column for the account name: call one 'Name', 'Account name' or "
        "'Company name', or map one to name with a mapping file; columns: 'Foo', 'Bar'",
    ]


def test_columns_named_by_a_fields_alias_are_imported_as_that_field(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("external_id,name,Revenue,growth,销售利润率\nK-1,Kovira,1.2M,35%,12%\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  Umsatz: revenue\n", encoding="utf-8")
    other = tmp_path / "de.csv"
    other.write_text("external_id,name,Umsatz\nK-2,Talmex,2M\n")

    [row] = values(path, model)
    [mapped] = values(other, model, mapping=str(mapping))

    assert row == {
        "external_id": "K-1",
        "name": "Kovira",
        "cumulative_revenue": "1.2M",
        "revenue_growth": "35%",
        "profit_margin": "12%",
    }
    assert mapped["cumulative_revenue"] == "2M"
