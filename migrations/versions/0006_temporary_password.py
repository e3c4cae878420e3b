"""A password set by an administrator is temporary until its owner changes it (ASVS 2.3.1).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "staff_user",
        sa.Column(
            "password_temporary", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )


def downgrade():
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("password_temporary")
