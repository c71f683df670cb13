"""dept_chats.lost_at / lost_reason: a group the bot can no longer post in (removed, dissolved);
people.left_at: a person who left, whose open work is handed over

Revision ID: g001
Revises: a001
"""
import sqlalchemy as sa
from alembic import op

revision = "g001"
down_revision = "a001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dept_chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lost_reason", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("dept_chats", schema=None) as batch_op:
        batch_op.alter_column("lost_reason", existing_type=sa.String(length=200), server_default=None)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of `people` would trip the foreign
    # keys that point at it
    for table, column in (("people", "left_at"), ("dept_chats", "lost_reason"), ("dept_chats", "lost_at")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
