"""The privacy desk's queue index (requests/models.py); audit entries sealed into the chain at
commit (portal/audit.py seal), so seq and the hashes are empty until then.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNFINISHED = "status NOT IN ('closed', 'withdrawn')"
SEALED_WHOLE = "(seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)"


def upgrade():
    op.create_index(
        "ix_privacy_request_queue",
        "privacy_request",
        [sa.text("(status = 'decided')"), "deadline", "id"],
        unique=False,
        postgresql_where=sa.text(UNFINISHED),
        sqlite_where=sa.text(UNFINISHED),
    )
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=True)
        batch.create_check_constraint("sealed_whole", SEALED_WHOLE)
    op.create_index(
        "ix_audit_entry_unsealed",
        "audit_entry",
        ["id"],
        unique=False,
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )


def downgrade():
    op.drop_index("ix_audit_entry_unsealed", table_name="audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint("sealed_whole", type_="check")
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_privacy_request_queue", table_name="privacy_request")
