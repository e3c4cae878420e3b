"""The privacy desk's queue index (requests/models.py).

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


def upgrade():
    op.create_index(
        "ix_privacy_request_queue",
        "privacy_request",
        [sa.text("(status = 'decided')"), "deadline", "id"],
        unique=False,
        postgresql_where=sa.text(UNFINISHED),
        sqlite_where=sa.text(UNFINISHED),
    )


def downgrade():
    op.drop_index("ix_privacy_request_queue", table_name="privacy_request")
