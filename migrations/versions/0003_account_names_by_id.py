"""account names by id

PostgreSQL: an index of every account's name and aliases by id, so a name search reads
the names of its candidates from the index alone (see bot.store.search) instead of from
the accounts' own rows, with all their facts. SQLite reads them from its FTS table.

Also pg_prewarm where the server offers it: after a model activation rewrote every
account, the name indexes are read back into memory at once (bot.service.search_index).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.search import POSTGRES_NAMES_BY_ID_INDEX

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE INDEX {POSTGRES_NAMES_BY_ID_INDEX} ON accounts (id) INCLUDE (name, aliases)"
    )
    offered = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_prewarm'"
    if bind.execute(sa.text(offered)).first() is not None:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP EXTENSION IF EXISTS pg_prewarm")
        op.execute(f"DROP INDEX IF EXISTS {POSTGRES_NAMES_BY_ID_INDEX}")
