"""card copies: every message that shows an object's card, so it can be kept current

Revision ID: k001
Revises: s001
"""
import sqlalchemy as sa
from alembic import op

revision = "k001"
down_revision = "s001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("shown", sa.String(length=16), nullable=False),
        sa.Column("queued", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("editable_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "message_id", name="uq_card_copies_message"),
    )
    op.create_index("ix_card_copies_object", "card_copies", ["object"])


def downgrade() -> None:
    op.drop_index("ix_card_copies_object", table_name="card_copies")
    op.drop_table("card_copies")
