"""external ids ignoring case

People type an external id as they remember it: "demo-0001" for DEMO-0001. An index of
the ids in lower case answers that in one lookup (bot.store.search.exact_ids).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from bot.store.search import EXTERNAL_ID_INDEX

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite: the column under a case-blind collation (an index on lower() would be an
    # expression, which SQLAlchemy cannot reflect); PostgreSQL: lower() of it.
    if op.get_bind().dialect.name == "postgresql":
        folded = "lower(external_id)"
    else:
        folded = "external_id COLLATE NOCASE"
    op.execute(f"CREATE INDEX {EXTERNAL_ID_INDEX} ON accounts ({folded})")


def downgrade() -> None:
    op.execute(f"DROP INDEX {EXTERNAL_ID_INDEX}")
