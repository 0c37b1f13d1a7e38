"""Inventory: release batches (rooms' batch names become rows), pricing factors, price
adjustments and history, room imports, layout floor plans

Revision ID: 1bb5626eb289
Revises: 8d32dd96d46d
Create Date: 2026-11-26 19:52:50.655445

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1bb5626eb289'
down_revision = '8d32dd96d46d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('price_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('room_ids', sa.JSON(), nullable=False),
    sa.Column('room_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approval_request_id'], ['approval_request.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('price_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_adjustment_approval_request_id'), ['approval_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_adjustment_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_adjustment_status'), ['status'], unique=False)

    op.create_table('release_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('release_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'name', name='uq_release_batch_name')
    )
    with op.batch_alter_table('release_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_batch_project_id'), ['project_id'], unique=False)

    op.create_table('room_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('rows_processed', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('message', sa.String(length=2000), nullable=True),
    sa.Column('imported_count', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('created_by_fk', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('file_removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('room_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_import_project_id'), ['project_id'], unique=False)

    op.create_table('price_factor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('property_type_id', sa.Integer(), nullable=True),
    sa.Column('floor_from', sa.Integer(), nullable=True),
    sa.Column('floor_to', sa.Integer(), nullable=True),
    sa.Column('ref_floor', sa.Integer(), nullable=True),
    sa.Column('orientation_id', sa.Integer(), nullable=True),
    sa.Column('view_id', sa.Integer(), nullable=True),
    sa.Column('layout_id', sa.Integer(), nullable=True),
    sa.Column('number_suffix', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.ForeignKeyConstraint(['layout_id'], ['layout.id'], ),
    sa.ForeignKeyConstraint(['orientation_id'], ['lookup_value.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['property_type_id'], ['property_type.id'], ),
    sa.ForeignKeyConstraint(['view_id'], ['lookup_value.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('price_factor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_factor_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_factor_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_factor_property_type_id'), ['property_type_id'], unique=False)

    op.create_table('price_adjustment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adjustment_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('old_unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('old_total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('old_floor_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('new_unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('new_total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('new_floor_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('skipped', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['adjustment_id'], ['price_adjustment.id'], ),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('adjustment_id', 'room_id', name='uq_price_adjustment_line_room')
    )
    with op.batch_alter_table('price_adjustment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_adjustment_line_adjustment_id'), ['adjustment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_adjustment_line_room_id'), ['room_id'], unique=False)

    op.create_table('price_factor_room',
    sa.Column('factor_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['factor_id'], ['price_factor.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('factor_id', 'room_id')
    )
    op.create_table('price_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('adjustment_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('old_unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('old_total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('old_floor_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('new_unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('new_total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('new_floor_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['adjustment_id'], ['price_adjustment.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('price_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_history_adjustment_id'), ['adjustment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_history_room_id'), ['room_id'], unique=False)

    with op.batch_alter_table('layout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('floor_plan', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('floor_plan_type', sa.String(length=30), nullable=True))

    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_room_release_batch_id'), ['release_batch_id'], unique=False)
        batch_op.create_foreign_key('fk_room_release_batch_id', 'release_batch', ['release_batch_id'], ['id'])

    # Each batch name a project's rooms carried becomes a batch row (dated the day of the upgrade).
    op.execute(sa.text(
        "INSERT INTO release_batch (project_id, name, release_date) "
        "SELECT DISTINCT project_id, release_batch, CURRENT_DATE FROM room WHERE release_batch IS NOT NULL"))
    op.execute(sa.text(
        "UPDATE room SET release_batch_id = (SELECT b.id FROM release_batch b "
        "WHERE b.project_id = room.project_id AND b.name = room.release_batch) "
        "WHERE release_batch IS NOT NULL"))

    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_column('release_batch')



def downgrade():
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_batch', sa.VARCHAR(length=50), nullable=True))
    op.execute(sa.text(
        "UPDATE room SET release_batch = (SELECT b.name FROM release_batch b WHERE b.id = room.release_batch_id) "
        "WHERE release_batch_id IS NOT NULL"))
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_constraint('fk_room_release_batch_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_room_release_batch_id'))
        batch_op.drop_column('release_batch_id')

    with op.batch_alter_table('layout', schema=None) as batch_op:
        batch_op.drop_column('floor_plan_type')
        batch_op.drop_column('floor_plan')

    with op.batch_alter_table('price_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_history_room_id'))
        batch_op.drop_index(batch_op.f('ix_price_history_adjustment_id'))

    op.drop_table('price_history')
    op.drop_table('price_factor_room')
    with op.batch_alter_table('price_adjustment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_adjustment_line_room_id'))
        batch_op.drop_index(batch_op.f('ix_price_adjustment_line_adjustment_id'))

    op.drop_table('price_adjustment_line')
    with op.batch_alter_table('price_factor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_factor_property_type_id'))
        batch_op.drop_index(batch_op.f('ix_price_factor_project_id'))
        batch_op.drop_index(batch_op.f('ix_price_factor_building_id'))

    op.drop_table('price_factor')
    with op.batch_alter_table('room_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_import_project_id'))

    op.drop_table('room_import')
    with op.batch_alter_table('release_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_batch_project_id'))

    op.drop_table('release_batch')
    with op.batch_alter_table('price_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_adjustment_status'))
        batch_op.drop_index(batch_op.f('ix_price_adjustment_project_id'))
        batch_op.drop_index(batch_op.f('ix_price_adjustment_approval_request_id'))

    op.drop_table('price_adjustment')
