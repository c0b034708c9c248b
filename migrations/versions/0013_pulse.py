"""the psychological-safety pulse (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pulse_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('with_codes', sa.Boolean(), nullable=False),
    sa.Column('free_text', sa.Boolean(), nullable=False),
    sa.Column('public_token', sa.String(length=64), nullable=False),
    sa.Column('min_responses', sa.Integer(), nullable=False),
    sa.Column('codes_issued', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pulse_rounds_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_rounds')),
    sa.UniqueConstraint('public_token', name=op.f('uq_pulse_rounds_public_token'))
    )
    op.create_table('pulse_groups',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_groups_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'key', name=op.f('pk_pulse_groups'))
    )
    op.create_table('pulse_round_departments',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_pulse_round_departments_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_round_departments_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'department_id', name=op.f('pk_pulse_round_departments'))
    )
    op.create_table('pulse_statements',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text_nl', sa.String(length=300), nullable=False),
    sa.Column('text_en', sa.String(length=300), nullable=False),
    sa.Column('reversed', sa.Boolean(), nullable=False),
    sa.Column('in_scale', sa.Boolean(), nullable=False),
    sa.Column('low_nl', sa.String(length=60), nullable=False),
    sa.Column('high_nl', sa.String(length=60), nullable=False),
    sa.Column('low_en', sa.String(length=60), nullable=False),
    sa.Column('high_en', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_statements_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'code', name=op.f('pk_pulse_statements'))
    )
    op.create_table('pulse_codes',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_codes_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'digest', name=op.f('pk_pulse_codes'))
    )
    op.create_table('pulse_responses',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_responses_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_responses'))
    )
    with op.batch_alter_table('pulse_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_responses_round_id'), ['round_id'], unique=False)

    op.create_table('pulse_answers',
    sa.Column('response_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['pulse_responses.id'], name=op.f('fk_pulse_answers_response_id_pulse_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'code', name=op.f('pk_pulse_answers'))
    )
    op.create_table('pulse_comments',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_comments_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_comments'))
    )
    with op.batch_alter_table('pulse_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_comments_round_id'), ['round_id'], unique=False)

    op.create_table('pulse_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=False),
    sa.Column('released_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['released_by'], ['users.id'], name=op.f('fk_pulse_releases_released_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_releases_round_id_pulse_rounds'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_releases'))
    )
    with op.batch_alter_table('pulse_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_releases_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pulse_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulse_releases_round_id'))
    op.drop_table('pulse_releases')
    with op.batch_alter_table('pulse_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulse_comments_round_id'))
    op.drop_table('pulse_comments')
    op.drop_table('pulse_answers')
    with op.batch_alter_table('pulse_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pulse_responses_round_id'))
    op.drop_table('pulse_responses')
    op.drop_table('pulse_codes')
    op.drop_table('pulse_statements')
    op.drop_table('pulse_round_departments')
    op.drop_table('pulse_groups')
    op.drop_table('pulse_rounds')
