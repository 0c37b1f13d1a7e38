"""reports: index of first visits (the channel a deal or an opportunity counts for)

Revision ID: 12ceef16a3ef
Revises: 27624813c337
Create Date: 2026-11-27 09:20:34.300151

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '12ceef16a3ef'
down_revision = '27624813c337'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer_visit', schema=None) as batch_op:
        batch_op.create_index('ix_customer_visit_first', ['customer_id', 'project_id', 'id'], unique=False, postgresql_where=sa.text('is_first IS true'), sqlite_where=sa.text('is_first IS 1'))


def downgrade():
    with op.batch_alter_table('customer_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_visit_first', postgresql_where=sa.text('is_first IS true'), sqlite_where=sa.text('is_first IS 1'))

