"""name word index

The word tables name search starts from (see bot.store.name_index), filled from the
accounts already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.name_index import rebuild

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WORD = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "name_vocabulary",
        sa.Column("word", _WORD, nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_name_vocabulary")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "name_word_variants",
        sa.Column("variant", _WORD, nullable=False),
        sa.Column("word", _WORD, nullable=False),
        sa.PrimaryKeyConstraint("variant", "word", name=op.f("pk_name_word_variants")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "name_words",
        sa.Column("word", _WORD, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_name_words_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("word", "account_id", name=op.f("pk_name_words")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("name_words", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_name_words_account_id"), ["account_id"], unique=False)
    rebuild(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("name_words", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_name_words_account_id"))
    op.drop_table("name_words")
    op.drop_table("name_word_variants")
    op.drop_table("name_vocabulary")
