"""The one SQLAlchemy ``MetaData`` every table of the node belongs to (so Alembic sees them all)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


# SQLite only auto-numbers an INTEGER PRIMARY KEY, so big keys use INTEGER there.
BigId = BigInteger().with_variant(Integer, "sqlite")

# Secrets, flags and counters: page_secret, initialized, auth_epoch (see admin.bump_auth_epoch),
# peer_token_key_id (see accord.sync.sealing).
node_setting = Table(
    "node_setting",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row: the last date_added handed out. Writers lock it, which both keeps date_added increasing
# from one write to the next and makes a reader paging by date_added never miss a row committed late.
node_clock = Table(
    "node_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_us", BigInteger, nullable=False),
)

api_root = Table(
    "api_root",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("max_content_length", BigInteger, nullable=False),
)

org = Table(
    "org",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("identity_id", String(100), nullable=False, unique=True),
    Column("created_us", BigInteger, nullable=False),
)

token = Table(
    "token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("org.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("admin", Boolean, nullable=False, default=False),
    Column("created_us", BigInteger, nullable=False),
)

collection = Table(
    "collection",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(64), nullable=False, unique=True),
    Column("root_id", Integer, ForeignKey("api_root.id"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("alias", String(200)),
    Column("default_tlp", SmallInteger, nullable=False),
    UniqueConstraint("root_id", "alias"),
)

collection_right = Table(
    "collection_right",
    metadata,
    Column("collection_id", Integer, ForeignKey("collection.id"), primary_key=True),
    Column("org_id", Integer, ForeignKey("org.id"), primary_key=True),
    Column("can_read", Boolean, nullable=False),
    Column("can_write", Boolean, nullable=False),
)

stix_object = Table(
    "stix_object",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, ForeignKey("collection.id"), nullable=False),
    Column("stix_id", String(300), nullable=False),
    Column("type", String(250), nullable=False),
    Column("version", Text, nullable=False),
    Column("version_us", BigInteger, nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("date_added_us", BigInteger, nullable=False),
    Column("producer_org_id", Integer, ForeignKey("org.id"), nullable=False),
    Column("source", String(200)),
    Column("tlp", SmallInteger, nullable=False),
    # "|name|identity--…|" of the named recipients, matched with LIKE inside the policy condition.
    Column("recipients", Text),
    # What the object is about: the indicator a sighting sighted (routed home to its producer), the
    # request an event belongs to, the object a tombstone deletes (see objects.about_ref).
    Column("about_ref", String(300)),
    Column("body", Text, nullable=False),
    # stix_id first: the same index answers "who owns this id, node-wide" (the write path) and
    # "this object in this collection" (reads); ids are random, and every index keyed on them costs
    # each insert a random page write. The producer is part of the key: each organization's versions
    # of an id are a history of their own (see store.objects).
    UniqueConstraint(
        "stix_id",
        "collection_id",
        "version_us",
        "spec_version",
        "producer_org_id",
        name="uq_stix_object_history_version",
    ),
)
# The reading order. Not unique: the visibility classes of one write share date_added values (see
# store.objects._class_runs); seq breaks ties (on SQLite it is the rowid every index ends with).
Index(
    "ix_stix_object_collection_id_date_added_us",
    stix_object.c.collection_id,
    stix_object.c.date_added_us,
    stix_object.c.seq,
)
# Partial: most objects are about nothing, and an index of NULLs would cost every insert.
Index(
    "ix_stix_object_about_ref",
    stix_object.c.about_ref,
    sqlite_where=stix_object.c.about_ref.is_not(None),
    postgresql_where=stix_object.c.about_ref.is_not(None),
)
Index(
    "ix_stix_object_type_added", stix_object.c.collection_id, stix_object.c.type, stix_object.c.date_added_us
)

status = Table(
    "status",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("root_id", Integer, ForeignKey("api_root.id"), nullable=False),
    # NULL for statuses imported from another server: every organization of the node may read them.
    Column("org_id", Integer, ForeignKey("org.id")),
    Column("request_us", BigInteger, nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("success_count", Integer, nullable=False),
    Column("failure_count", Integer, nullable=False),
    Column("pending_count", Integer, nullable=False),
    # JSON {"successes": [...], "failures": [...], "pendings": [...]}
    Column("detail", Text, nullable=False),
)

# -- federation: peers, their pull/push links with cursors, refusals on arrival -----------------

peer = Table(
    "peer",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # The local organization that stands for the peer node: producer of what arrives from it.
    Column("org_id", Integer, ForeignKey("org.id"), nullable=False, unique=True),
    Column("url", Text, nullable=False),  # the peer's API root, e.g. http://host:6800/default/
    # The credential the peer issued to this node, sealed with the node key (accord.sync.sealing).
    Column("token_sealed", Text, nullable=False),
    Column("max_tlp", SmallInteger, nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("sightings_collection", String(64)),  # the peer's collection for sightings of its indicators
    # The last stix_object.seq routed home: seq is global and never reused, date_added is not.
    Column("sightings_cursor_seq", BigInteger, nullable=False, default=0),
    Column("last_success_us", BigInteger),
    Column("last_error", Text),
    Column("last_error_us", BigInteger),
    Column("failures", Integer, nullable=False, default=0),
    # "taxii" (a TAXII 2.1 node) or "misp" (a MISP server's REST API, accord.sync.misp_peer).
    Column("kind", String(8), nullable=False, default="taxii", server_default="taxii"),
)

peer_link = Table(
    "peer_link",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("peer_id", Integer, ForeignKey("peer.id"), nullable=False),
    Column("direction", String(4), nullable=False),  # "pull" or "push"
    Column("remote_collection", String(64), nullable=False),
    Column("collection_id", Integer, ForeignKey("collection.id"), nullable=False),
    # pull: the peer's date_added (text, sent back as is, and in microseconds); push: the last seq
    # pushed (storage order: an import keeping an old date_added is stored, and pushed, later).
    Column("cursor_text", String(40)),
    Column("cursor_us", BigInteger, nullable=False, default=0),
    Column("objects", BigInteger, nullable=False, default=0),
    Column("last_success_us", BigInteger),
    Column("last_error", Text),
    UniqueConstraint("peer_id", "direction", "remote_collection", "collection_id"),
)

sync_refusal = Table(
    "sync_refusal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("peer_id", Integer, ForeignKey("peer.id"), nullable=False, index=True),
    Column("collection_id", Integer, ForeignKey("collection.id"), nullable=False),
    Column("stix_id", Text),
    Column("version", Text),
    Column("reason", Text, nullable=False),
    Column("at_us", BigInteger, nullable=False),
)


# -- requests for assistance: a derived index over the request and event objects ----------------

rfa_agreement = Table(
    "rfa_agreement",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("toml", Text, nullable=False),
)

rfa_case = Table(
    "rfa_case",
    metadata,
    Column("request_id", String(300), primary_key=True),
    Column("collection_id", Integer, ForeignKey("collection.id"), nullable=False),
    Column("requester", String(200), nullable=False),
    Column("requester_identity", String(100), nullable=False, index=True),
    Column("requested", String(200), nullable=False),
    Column("requested_identity", String(100), nullable=False, index=True),
    Column("request_type", String(40), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("state", String(30), nullable=False),
    Column("before_info", String(30)),
    Column("agreement_id", String(200)),
    Column("submitted_us", BigInteger),
    Column("acknowledged_us", BigInteger),
    Column("responded_us", BigInteger),
    Column("closed_us", BigInteger),
    Column("ack_due_us", BigInteger),
    Column("response_due_us", BigInteger),
    Column("paused_since_us", BigInteger),
    Column("pauses", Text, nullable=False, default="[]"),  # JSON [[start_us, end_us], ...]
    Column("preservation_expires_us", BigInteger),
    Column("renewals", Integer, nullable=False, default=0),
    Column("updated_us", BigInteger, nullable=False),
)
Index("ix_rfa_case_open_due", rfa_case.c.state, rfa_case.c.response_due_us)

rfa_escalation = Table(
    "rfa_escalation",
    metadata,
    Column("request_id", String(300), ForeignKey("rfa_case.request_id"), primary_key=True),
    Column("step", String(40), primary_key=True),
    Column("deadline", String(20), primary_key=True),  # "acknowledgement" or "response"
    Column("at_us", BigInteger, nullable=False),
)
