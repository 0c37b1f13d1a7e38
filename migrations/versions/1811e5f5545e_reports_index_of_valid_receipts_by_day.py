"""reports: index of valid receipts by day

Revision ID: 1811e5f5545e
Revises: 12ceef16a3ef
Create Date: 2026-11-27 09:25:23.960994

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1811e5f5545e'
down_revision = '12ceef16a3ef'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_valid_day', ['paid_on'], unique=False, postgresql_where=sa.text("status = 'valid'"), postgresql_include=['amount', 'project_id', 'deal_id'], sqlite_where=sa.text("status = 'valid'"))


def downgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_valid_day', postgresql_where=sa.text("status = 'valid'"), postgresql_include=['amount', 'project_id', 'deal_id'], sqlite_where=sa.text("status = 'valid'"))

