"""aging cause

Scores and tier changes may now be caused by time passing: a daily pass re-grades the
accounts whose dated facts (a last order date) moved into another band
(bot.service.regrading). The cause columns' CHECK constraints learn the new value.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("score_history", "tier_changes")
_BEFORE = ("update", "override", "import", "model_change", "expiry", "undo", "demo")
_AFTER = (*_BEFORE, "aging")


def _allow(causes: Sequence[str]) -> None:
    listed = ", ".join(f"'{cause}'" for cause in causes)
    for table in _TABLES:
        # SQLite cannot alter a constraint: batch mode copies the table (a named CHECK
        # constraint is carried over, so it is dropped and made anew by name).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_cause"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_cause"), f"cause IN ({listed})")


def upgrade() -> None:
    _allow(_AFTER)


def downgrade() -> None:
    # The older schema has no word for time passing; the nearest is a rescore by the
    # system with a model, which is what an aging pass is.
    for table in _TABLES:
        op.execute(f"UPDATE {table} SET cause = 'model_change' WHERE cause = 'aging'")
    _allow(_BEFORE)
