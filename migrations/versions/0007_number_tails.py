"""number tails in the word index

Accounts are also found by the last digits of the numbers in their names (typed as
"4521" for branch 0074521), and numbers get no one-slip variants (a number one digit
off is another number): see bot.store.name_words. The word index is built anew.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from bot.store.name_index import rebuild

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild(op.get_bind())


def downgrade() -> None:
    # The older words are a subset of these: searches keep working; rebuilding with the
    # older code (tierbot db reindex) drops the tails.
    pass
