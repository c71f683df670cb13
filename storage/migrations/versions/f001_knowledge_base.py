"""kb_docs and kb_pending: the knowledge base's full-text index (docs/knowledge.md). SQLite keeps
the terms in an FTS5 table that triggers hold in step with kb_docs; PostgreSQL in a generated
tsvector column with a GIN index. Every text written before this revision is queued for the
indexer (the backfill): the first start indexes them.

Revision ID: f001
Revises: b001
"""
import sqlalchemy as sa
from alembic import op

revision = "f001"
down_revision = "b001"
branch_labels = None
depends_on = None

#: What each indexed table holds, as (kind, table): storage/kb.py builds each kind's document.
SOURCES = (("request", "collaborations"), ("retro", "retrospectives"), ("problem", "problems"), ("risk", "risks"),
           ("change", "change_requests"), ("meeting", "meetings"), ("delivery", "deliveries"),
           ("acceptance", "acceptances"))

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE kb_fts USING fts5(terms, content='kb_docs', content_rowid='id', tokenize='unicode61')",
    "CREATE VIRTUAL TABLE kb_fts_vocab USING fts5vocab(kb_fts, row)",  # each term's document count
    "CREATE TRIGGER kb_docs_ai AFTER INSERT ON kb_docs BEGIN "
    "INSERT INTO kb_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER kb_docs_ad AFTER DELETE ON kb_docs BEGIN "
    "INSERT INTO kb_fts(kb_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER kb_docs_au AFTER UPDATE ON kb_docs BEGIN "
    "INSERT INTO kb_fts(kb_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
    "INSERT INTO kb_fts(rowid, terms) VALUES (new.id, new.terms); END",
)
POSTGRES_INDEX = (
    # the terms are already cut (bot/segment.py): the 'simple' configuration only splits them at spaces
    "ALTER TABLE kb_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX ix_kb_docs_tsv ON kb_docs USING gin (tsv)",
)


def upgrade() -> None:
    op.create_table(
        "kb_docs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("collab_id", sa.Integer(), nullable=False),
        sa.Column("dept_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["collab_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["dept_id"], ["departments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "row_id", name="uq_kb_docs_row"),
    )
    op.create_index("ix_kb_docs_collab_id", "kb_docs", ["collab_id"], unique=False)
    op.create_index("ix_kb_docs_at", "kb_docs", ["at"], unique=False)
    op.create_table(
        "kb_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for statement in POSTGRES_INDEX if op.get_bind().dialect.name == "postgresql" else SQLITE_INDEX:
        op.execute(statement)
    for kind, table in SOURCES:
        op.execute(f"INSERT INTO kb_pending (kind, row_id) SELECT '{kind}', id FROM {table} ORDER BY id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("kb_docs_ai", "kb_docs_ad", "kb_docs_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE kb_fts_vocab")
        op.execute("DROP TABLE kb_fts")
    op.drop_table("kb_pending")
    op.drop_index("ix_kb_docs_at", table_name="kb_docs")
    op.drop_index("ix_kb_docs_collab_id", table_name="kb_docs")
    op.drop_table("kb_docs")
