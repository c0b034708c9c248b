"""organisations (issue 17): the practice registry, with the home organisation's row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:20:00.000000

Every database gets the table (one schema for all); only the main database - the home
organisation's, which is what every installation before this revision is - gets the home row.
A client organisation's database is migrated with the Alembic attribute ``client_database``
set (services/organisations/databases.py), so its table stays empty.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

HOME_SLUG = 'home'


def upgrade() -> None:
    organisations = op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('host', sa.String(length=253), nullable=True),
        sa.Column('is_home', sa.Boolean(), nullable=False),
        sa.Column('settings', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('host', name=op.f('uq_organisations_host')),
        sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug')),
    )
    op.create_index('uq_organisations_home', 'organisations', ['is_home'], unique=True,
                    sqlite_where=sa.text('is_home'), postgresql_where=sa.text('is_home'))
    if context.config.attributes.get('client_database'):
        return
    # The home organisation: the existing data of this database. Its name stays empty here
    # (the installation's ORGANISATION_NAME setting names it); created when this revision
    # ran, as far as the registry knows.
    op.bulk_insert(organisations, [{
        'slug': HOME_SLUG, 'name': '', 'host': None, 'is_home': True, 'settings': '{}',
        'created_at': datetime.now(UTC).replace(tzinfo=None), 'deleted_at': None,
    }])


def downgrade() -> None:
    op.drop_index('uq_organisations_home', table_name='organisations')
    op.drop_table('organisations')
