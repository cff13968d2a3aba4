"""Column mappings for the account exports of common CRMs, onto the shipped default model.

Each preset maps only what fits the default model's meaning; everything else in the
export is ignored (and listed when importing). Copy a preset into a mapping file to
change it, e.g. ``preset: hubspot`` plus your own ``columns``.

HubSpot companies export
    Record ID -> external_id, Company name -> name, Company owner -> owner,
    Lifecycle Stage -> lifecycle_stage (lead stages: prospect, Customer: first_purchase,
    Evangelist: loyal), Industry -> industry (HubSpot's industries grouped into the
    model's seven), Number of Employees -> company_size (under 50 small, under 250
    medium, else large), Total Revenue (closed-won deals: what they bought from us)
    -> cumulative_revenue, Recent Deal Close Date -> last_order_date.
    Not mapped: Annual Revenue (the company's own turnover, not its business with us,
    which is what the revenue criteria grade), Number of Associated Deals (all time,
    not per year).

Salesforce accounts export
    Account ID -> external_id, Account Name -> name, Account Owner -> owner,
    Type -> lifecycle_stage (Prospect: prospect, Customer - Direct/Channel:
    first_purchase), Industry -> industry (Salesforce's picklist grouped into the
    model's seven), Employees -> company_size (as for HubSpot).
    Not mapped: Annual Revenue (turnover, as above), Rating (an opinion, not a fact the
    model grades), Last Activity (any activity, not the last order).
"""

from __future__ import annotations

from typing import Any

# Employees -> size class, as the EU defines small and medium enterprises.
COMPANY_SIZE_BY_EMPLOYEES = {"small": 0, "medium": 50, "large": 250}

_HUBSPOT_INDUSTRIES = {
    "finance": (
        "accounting",
        "banking",
        "capital_markets",
        "financial_services",
        "insurance",
        "investment_banking",
        "investment_management",
        "venture_capital_private_equity",
    ),
    "healthcare": (
        "biotechnology",
        "hospital_health_care",
        "medical_devices",
        "medical_practice",
        "mental_health_care",
        "pharmaceuticals",
        "health_wellness_and_fitness",
    ),
    "retail": (
        "retail",
        "supermarkets",
        "consumer_goods",
        "luxury_goods_jewelry",
        "wholesale",
        "apparel_fashion",
        "sporting_goods",
    ),
    "energy": ("oil_energy", "utilities", "renewables_environment", "mining_metals"),
    "transport": (
        "transportation_trucking_railroad",
        "logistics_and_supply_chain",
        "maritime",
        "package_freight_delivery",
        "warehousing",
        "airlines_aviation",
    ),
    "manufacturing": (
        "automotive",
        "machinery",
        "industrial_automation",
        "electrical_electronic_manufacturing",
        "mechanical_or_industrial_engineering",
        "chemicals",
        "plastics",
        "textiles",
        "paper_forest_products",
        "semiconductors",
        "aviation_aerospace",
        "building_materials",
        "food_production",
        "packaging_and_containers",
        "shipbuilding",
        "glass_ceramics_concrete",
        "printing",
    ),
}
_SALESFORCE_INDUSTRIES = {
    "finance": ("banking", "finance", "insurance"),
    "healthcare": ("healthcare", "biotechnology"),
    "retail": ("retail", "apparel"),
    "energy": ("energy", "utilities"),
    "transport": ("transportation", "shipping"),
    "manufacturing": ("machinery", "electronics", "chemicals", "engineering"),
}


def _choices(groups: dict[str, tuple[str, ...]], otherwise: str) -> dict[str, str]:
    table = {name: choice for choice, names in groups.items() for name in names}
    return table | {"*": otherwise}


PRESETS: dict[str, dict[str, Any]] = {
    "hubspot": {
        "columns": {
            "Record ID": "external_id",
            "Company ID": "external_id",
            "Company name": "name",
            "Company owner": "owner",
            "Lifecycle Stage": "lifecycle_stage",
            "Industry": "industry",
            "Number of Employees": "company_size",
            "Total Revenue": "cumulative_revenue",
            "Recent Deal Close Date": "last_order_date",
        },
        "values": {
            "lifecycle_stage": {
                "subscriber": "prospect",
                "lead": "prospect",
                "marketing_qualified_lead": "prospect",
                "marketingqualifiedlead": "prospect",
                "sales_qualified_lead": "prospect",
                "salesqualifiedlead": "prospect",
                "opportunity": "prospect",
                "customer": "first_purchase",
                "evangelist": "loyal",
                "*": "",
            },
            "industry": _choices(_HUBSPOT_INDUSTRIES, "other"),
        },
        "ranges": {"company_size": COMPANY_SIZE_BY_EMPLOYEES},
    },
    "salesforce": {
        "columns": {
            "Account ID": "external_id",
            "Account Name": "name",
            "Account Owner": "owner",
            "Type": "lifecycle_stage",
            "Industry": "industry",
            "Employees": "company_size",
        },
        "values": {
            "lifecycle_stage": {
                "prospect": "prospect",
                "customer_direct": "first_purchase",
                "customer_channel": "first_purchase",
                "*": "",
            },
            "industry": _choices(_SALESFORCE_INDUSTRIES, "other"),
        },
        "ranges": {"company_size": COMPANY_SIZE_BY_EMPLOYEES},
    },
}
