"""local emulator chat history

Revision ID: c001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "c001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("author_id", sa.String(length=128), nullable=False),
        sa.Column("author_name", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_local_messages_chat", "local_messages", ["chat_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_local_messages_chat", table_name="local_messages")
    op.drop_table("local_messages")
