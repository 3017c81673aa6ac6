"""per-producer histories, tied date_added, lowercased recipients

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

Security fixes (issue #16):
- the unique key of a version gains producer_org_id: an id another organization holds where the
  writer cannot see it is stored as the writer's own history instead of being refused (the refusal
  was an existence oracle);
- (collection_id, date_added_us) is no longer unique: the visibility classes of one write share
  times, so gaps between the times a reader sees never count rows hidden from it; a plain index on
  (collection_id, date_added_us, seq) keeps the reading order;
- recipients are stored lowercased (names and identity ids are matched ignoring case on every
  database).
SQLite rebuilds the table to change constraints (rows, their seq and the other indexes are kept).
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_OLD_KEY = 'uq_stix_object_stix_id_collection_id_version_us_spec_version'
_NEW_KEY = 'uq_stix_object_history_version'
_OLD_ORDER = 'uq_stix_object_collection_id_date_added_us'
_NEW_ORDER = 'ix_stix_object_collection_id_date_added_us'


def upgrade() -> None:
    with op.batch_alter_table('stix_object', schema=None) as batch_op:
        batch_op.drop_constraint(_OLD_ORDER, type_='unique')
        batch_op.drop_constraint(_OLD_KEY, type_='unique')
        batch_op.create_unique_constraint(
            _NEW_KEY, ['stix_id', 'collection_id', 'version_us', 'spec_version', 'producer_org_id']
        )
        batch_op.create_index(_NEW_ORDER, ['collection_id', 'date_added_us', 'seq'], unique=False)
    _partial_index_kept()
    op.execute("UPDATE stix_object SET recipients = lower(recipients) WHERE recipients IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('stix_object', schema=None) as batch_op:
        batch_op.drop_index(_NEW_ORDER)
        batch_op.drop_constraint(_NEW_KEY, type_='unique')
        batch_op.create_unique_constraint(_OLD_KEY, ['stix_id', 'collection_id', 'version_us', 'spec_version'])
        batch_op.create_unique_constraint(_OLD_ORDER, ['collection_id', 'date_added_us'])
    _partial_index_kept()


def _partial_index_kept() -> None:
    """SQLite's table rebuild re-creates indexes from reflection, which may drop a WHERE clause:
    make sure the about_ref index is partial as declared."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute('DROP INDEX IF EXISTS ix_stix_object_about_ref')
    op.create_index(
        'ix_stix_object_about_ref', 'stix_object', ['about_ref'], unique=False,
        sqlite_where=sa.text('about_ref IS NOT NULL'),
    )
