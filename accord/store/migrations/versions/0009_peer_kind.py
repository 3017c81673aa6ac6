"""peer kind: a TAXII node or a MISP server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

- peer.kind: "taxii" (every peer so far) or "misp" (a MISP server synced through its REST API by
  accord.sync.misp_peer), so one sync loop runs both.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('peer') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='taxii'))


def downgrade() -> None:
    with op.batch_alter_table('peer') as batch:
        batch.drop_column('kind')
