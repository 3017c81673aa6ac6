"""push cursors in storage order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A push link's cursor was the last date_added pushed; objects imported later with an older
date_added (a medallion import keeps its times) were never pushed. The cursor becomes the last
``seq`` pushed: each link's old cursor turns into the highest seq of its collection at or before
that time, so nothing already pushed is sent again and nothing stored since is skipped. (Rows
imported with old times *before* this migration, after the cursor had passed them, stay behind
the converted cursor: the old code had already skipped them, and this cannot tell them apart.)
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE peer_link SET cursor_us = COALESCE(("
        "SELECT MAX(seq) FROM stix_object WHERE stix_object.collection_id = peer_link.collection_id "
        "AND stix_object.date_added_us <= peer_link.cursor_us), 0) "
        "WHERE direction = 'push' AND cursor_us > 0"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE peer_link SET cursor_us = COALESCE(("
        "SELECT MAX(date_added_us) FROM stix_object WHERE stix_object.collection_id = peer_link.collection_id "
        "AND stix_object.seq <= peer_link.cursor_us), 0) "
        "WHERE direction = 'push' AND cursor_us > 0"
    )
