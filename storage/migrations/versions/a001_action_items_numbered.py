"""action_items: numbered A1, A2 … within a collaboration like T/P/R/C/M, and who closed them when

Revision ID: a001
Revises: p001
"""
import sqlalchemy as sa
from alembic import op

revision = "a001"
down_revision = "p001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collab_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("done_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
    # items recorded before: their meeting's collaboration, numbered in the order they were minuted
    op.execute("UPDATE action_items SET collab_id = "
               "(SELECT meetings.collab_id FROM meetings WHERE meetings.id = action_items.meeting_id)")
    op.execute("UPDATE action_items SET number = (SELECT COUNT(*) FROM action_items AS earlier "
               "WHERE earlier.collab_id = action_items.collab_id AND earlier.id <= action_items.id)")
    op.execute(sa.text("INSERT INTO counters (name, value) SELECT collaborations.code || :suffix, "
                       "MAX(action_items.number) FROM action_items "
                       "JOIN collaborations ON collaborations.id = action_items.collab_id "
                       "GROUP BY collaborations.code").bindparams(suffix=":A"))
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.alter_column("collab_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("note", existing_type=sa.Text(), server_default=None)
        batch_op.create_foreign_key("fk_action_items_collab_id", "collaborations", ["collab_id"], ["id"])
        batch_op.create_foreign_key("fk_action_items_done_by", "people", ["done_by"], ["id"])
        batch_op.create_unique_constraint("uq_action_items_collab_id_number", ["collab_id", "number"])
        batch_op.create_index(batch_op.f("ix_action_items_collab_id"), ["collab_id"], unique=False)
        batch_op.create_index("ix_action_items_done_due", ["done", "due_date"], unique=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM counters WHERE name LIKE :pattern").bindparams(pattern="%:A"))
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_done_due")
        batch_op.drop_index(batch_op.f("ix_action_items_collab_id"))
        batch_op.drop_constraint("uq_action_items_collab_id_number", type_="unique")
        batch_op.drop_constraint("fk_action_items_done_by", type_="foreignkey")
        batch_op.drop_constraint("fk_action_items_collab_id", type_="foreignkey")
        for column in ("note", "done_by", "done_at", "number", "collab_id"):
            batch_op.drop_column(column)
