"""seal peer tokens, sightings cursor on seq, credentials counter

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

- peer.token (plain text) becomes peer.token_sealed: every existing token is sealed with the node
  key of the data directory (created if this is its first use), see accord.sync.sealing.
- peer.sightings_cursor_us (a date_added) becomes peer.sightings_cursor_seq (a stix_object.seq):
  the new cursor is placed just before the first sighting at or after the old one, so nothing is
  skipped (sightings at the old cursor's time are sent again: identical re-posts are harmless).
- node_setting gets the auth_epoch counter (see accord.store.admin.bump_auth_epoch).

Renaming a column is one ALTER TABLE on SQLite (>= 3.25) and PostgreSQL, without rebuilding the
table that peer_link and sync_refusal refer to.
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_peer = sa.table(
    'peer',
    sa.column('id', sa.Integer),
    sa.column('name', sa.Text),
    sa.column('url', sa.Text),
    sa.column('token_sealed', sa.Text),
)
_setting = sa.table('node_setting', sa.column('key', sa.String), sa.column('value', sa.Text))


def upgrade() -> None:
    from accord.sync.sealing import seal

    bind = op.get_bind()
    op.execute('ALTER TABLE peer RENAME COLUMN token TO token_sealed')
    op.execute('ALTER TABLE peer RENAME COLUMN sightings_cursor_us TO sightings_cursor_seq')
    op.execute(
        "UPDATE peer SET sightings_cursor_seq = COALESCE("
        " (SELECT MIN(s.seq) - 1 FROM stix_object s"
        "  WHERE s.type = 'sighting' AND s.date_added_us >= peer.sightings_cursor_seq),"
        " (SELECT MAX(s.seq) FROM stix_object s WHERE s.type = 'sighting'), 0)"
        " WHERE sightings_cursor_seq > 0"
    )
    for row in bind.execute(sa.select(_peer)).all():
        sealed = seal(bind, row.name, row.url, row.token_sealed)
        bind.execute(_peer.update().where(_peer.c.id == row.id).values(token_sealed=sealed))
    if bind.execute(sa.select(_setting.c.value).where(_setting.c.key == 'auth_epoch')).first() is None:
        bind.execute(_setting.insert().values(key='auth_epoch', value='0'))


def downgrade() -> None:
    from accord.sync.sealing import KEY_ID_SETTING, data_dir_of, load_key, unseal

    bind = op.get_bind()
    rows = bind.execute(sa.select(_peer)).all()
    if rows:
        recorded = bind.execute(
            sa.select(_setting.c.value).where(_setting.c.key == KEY_ID_SETTING)
        ).scalar()
        key = load_key(data_dir_of(bind), recorded)
        for row in rows:
            plain = unseal(key, row.name, row.url, row.token_sealed)
            bind.execute(_peer.update().where(_peer.c.id == row.id).values(token_sealed=plain))
    op.execute(
        "UPDATE peer SET sightings_cursor_seq = COALESCE("
        " (SELECT MIN(s.date_added_us) - 1 FROM stix_object s"
        "  WHERE s.type = 'sighting' AND s.seq > peer.sightings_cursor_seq),"
        " (SELECT MAX(s.date_added_us) FROM stix_object s WHERE s.type = 'sighting'), 0)"
        " WHERE sightings_cursor_seq > 0"
    )
    op.execute('ALTER TABLE peer RENAME COLUMN sightings_cursor_seq TO sightings_cursor_us')
    op.execute('ALTER TABLE peer RENAME COLUMN token_sealed TO token')
    bind.execute(_setting.delete().where(_setting.c.key.in_(['auth_epoch', KEY_ID_SETTING])))
