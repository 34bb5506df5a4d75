"""Table definitions. Alembic migrations in ``migrations/versions`` must match these."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: OpenLink stores UTC-aware datetimes only")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTC_TS = UTCDateTime()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(40), nullable=False),
    Column("language", String(35), nullable=False),
    Column("interests", JSON, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    #: Granted by the operator: rooms can admit verified accounts only.
    Column("verified", Boolean, nullable=False, server_default=text("false")),
    Column("is_operator", Boolean, nullable=False, server_default=text("false")),
    #: Set while the operator has suspended the account; ``suspended_until`` NULL with
    #: ``suspended_at`` set means until lifted.
    Column("suspended_at", UTC_TS),
    Column("suspended_until", UTC_TS),
    #: Bumped in the same transaction as every change the account's open sockets must
    #: obey (left a room, signed out, suspended, sessions revoked): a node that missed
    #: the broker's event sees the revision move at its next catch-up.
    Column("access_rev", BigInteger, nullable=False, server_default=text("0")),
    #: Part of every device token's MAC (domain/devices.py): bumped by "sign out
    #: everywhere" and a password change, which forgets every device of the account.
    Column("device_epoch", Integer, nullable=False, server_default=text("0")),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("expires_at", UTC_TS, nullable=False),
    Index("ix_tokens_user_id", "user_id"),
)

open_profiles = Table(
    "open_profiles",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(40), nullable=False),
    Column("avatar_url", String(2048)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_open_profiles_user_id", "user_id"),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(80), nullable=False),
    Column("description", Text, nullable=False),
    Column("cover_url", String(2048)),
    Column("visibility", String(16), nullable=False),
    Column("profile_policy", String(16), nullable=False),
    Column("member_cap", Integer, nullable=False),
    Column("member_count", Integer, nullable=False, server_default=text("0")),
    Column("status", String(16), nullable=False),
    Column("link_code", String(24), nullable=False, unique=True),
    Column("code_hash", String(200)),
    #: The room's sequence counter: the seq of its latest durable change.
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("parent_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE")),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    # Flow control and entry conditions (domain/governance.py).
    Column("slow_mode_s", Integer, nullable=False, server_default=text("0")),
    Column("probation_s", Integer, nullable=False, server_default=text("0")),
    Column("join_approval", Boolean, nullable=False, server_default=text("false")),
    Column("min_account_age_days", Integer, nullable=False, server_default=text("0")),
    Column("verified_only", Boolean, nullable=False, server_default=text("false")),
    Column("link_expires_at", UTC_TS),
    Column("link_max_uses", Integer),
    Column("link_uses", Integer, nullable=False, server_default=text("0")),
    #: The pinned notice: a message of kind ``notice``.
    Column("pinned_seq", BigInteger),
    #: Bumped on every change to the room's automod rules / host bot: a cache key for
    #: every node's compiled copy.
    Column("automod_rev", Integer, nullable=False, server_default=text("0")),
    Column("bot_rev", Integer, nullable=False, server_default=text("0")),
    # Discovery (docs/discovery.md).
    #: The room's main language (BCP 47), for search filters and recommendations.
    Column("language", String(35)),
    #: Whether people who have not joined may read the room's recent messages.
    Column("preview_enabled", Boolean, nullable=False, server_default=text("true")),
    # Translation (docs/translation.md).
    Column("translation_enabled", Boolean, nullable=False, server_default=text("true")),
    #: Whether messages' links get a preview card (``actions/previews.py``).
    Column("link_previews", Boolean, nullable=False, server_default=text("true")),
    #: Bumped on every glossary change: the cache key for each node's copy.
    Column("glossary_rev", Integer, nullable=False, server_default=text("0")),
    Index("ix_rooms_parent_id", "parent_id"),
)

room_tags = Table(
    "room_tags",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("category", String(16), nullable=False),
    #: The interest this tag names (through an alias), when one is known.
    Column("interest_id", String(24)),
    Index("ix_room_tags_name", "name"),
    Index("ix_room_tags_interest_id", "interest_id"),
)

members = Table(
    "members",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(40), nullable=False),
    Column("avatar_url", String(2048)),
    Column("profile_kind", String(8), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("last_read_seq", BigInteger, nullable=False, server_default=text("0")),
    Column("joined_at", UTC_TS, nullable=False),
    Column("left_at", UTC_TS),
    #: A co-host's rights (names of ``domain.permissions.Right``).
    Column("rights", JSON),
    #: Read-only until then (a moderator's time-out or automod's).
    Column("timed_out_until", UTC_TS),
    #: Why the membership ended: left, kicked, banned.
    Column("left_reason", String(16)),
    Index("ix_members_user_id", "user_id", "active"),
    Index("ix_members_room_id", "room_id", "active"),
    # One active membership per person per room; a rejoin is a new member (a new id),
    # so an old open profile is never linked to a new one.
    Index(
        "uq_members_room_user_active",
        "room_id",
        "user_id",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

#: The messages an unread count counts: live text (``store.messages.COUNTED_AS_UNREAD_CLAUSE``).
COUNTED_AS_UNREAD = "kind = 'text' AND deleted_at IS NULL"

messages = Table(
    "messages",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("rev", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("member_id", String(24)),
    Column("body", Text),
    Column("reply_to", BigInteger),
    Column("mentions", JSON),
    Column("reactions", JSON),
    Column("system", JSON),
    Column("client_id", String(64)),
    Column("created_at", UTC_TS, nullable=False),
    Column("edited_at", UTC_TS),
    Column("deleted_at", UTC_TS),
    #: Hidden for everyone by a moderator or automod: the body is kept for review only.
    Column("hidden_at", UTC_TS),
    Column("hidden_by", String(24)),
    #: The message has links and its sender had no earlier message in the room.
    Column("link_warning", Boolean, nullable=False, server_default=text("false")),
    #: The detected language (primary subtag), when anything in the body says.
    Column("lang", String(12)),
    #: How often the sender edited it (``OPENLINK_MAX_EDITS_PER_MESSAGE`` caps it).
    Column("edits", Integer, nullable=False, server_default=text("0")),
    #: The card of its first link (``domain.previews.LinkPreview.view``), once fetched.
    Column("preview", JSON),
    #: The id of the card's picture (``/api/images/{id}``), so the collector can tell
    #: whether a message still shows it.
    Column("preview_image", String(64)),
    #: Its attachments as the room sees them (``domain.media.media_view``), in order.
    Column("media", JSON),
    UniqueConstraint("room_id", "rev"),
    UniqueConstraint("room_id", "member_id", "client_id"),
    Index("ix_messages_preview_image", "preview_image"),
    # Unread counts (every socket connect reads one per room) scan the unread messages
    # that count, not the joins and other system lines between them.
    Index(
        "ix_messages_unread",
        "room_id",
        "seq",
        "member_id",
        sqlite_where=text(COUNTED_AS_UNREAD),
        postgresql_where=text(COUNTED_AS_UNREAD),
    ),
)

reactions = Table(
    "reactions",
    metadata,
    Column("room_id", String(24), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("member_id", String(24), primary_key=True),
    Column("emoji", String(32), primary_key=True),
    Column("created_at", UTC_TS, nullable=False),
)

bans = Table(
    "bans",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    #: The membership that was banned: what moderators see (never the account). One entry
    #: per banned membership, so two stays of one account are two entries.
    Column("member_id", String(24), primary_key=True),
    #: Whom the ban keeps out: enforced on the account, never shown.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(40), nullable=False),
    #: NULL: until lifted.
    Column("until", UTC_TS),
    Column("reason", String(500), nullable=False, server_default=text("''")),
    Column("created_by", String(24)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_bans_room_id_user_id", "room_id", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    #: Who acted: a member id, or NULL for automod, the host bot and the operator.
    Column("actor", String(24)),
    Column("actor_kind", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_member", String(24)),
    Column("target_seq", BigInteger),
    Column("details", JSON),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_audit_log_room_id", "room_id", "id"),
)

join_requests = Table(
    "join_requests",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    #: The member columns the applicant chose (nickname, avatar, profile kind).
    Column("profile", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("decided_at", UTC_TS),
    Column("decided_by", String(24)),
    Index("ix_join_requests_room_id", "room_id", "status"),
    Index(
        "uq_join_requests_room_user_pending",
        "room_id",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

automod_rules = Table(
    "automod_rules",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("patterns", JSON, nullable=False),
    Column("action", String(16), nullable=False),
    Column("timeout_s", Integer),
    Column("exempt_roles", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
    #: The member who created or last changed the rule: it acts with their rights only.
    Column("author", String(24)),
    Index("ix_automod_rules_room_id", "room_id"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("reporter_user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("reporter_member", String(24), nullable=False),
    Column("target_member", String(24)),
    Column("target_seq", BigInteger),
    Column("reason", String(16), nullable=False),
    Column("note", String(1000), nullable=False, server_default=text("''")),
    Column("status", String(16), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("resolved_at", UTC_TS),
    Column("resolved_by", String(40)),
    Index("ix_reports_room_id", "room_id", "status"),
    Index("ix_reports_status", "status", "created_at"),
)

room_bots = Table(
    "room_bots",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("welcome", Text),
    #: [{"keywords": [...], "answer": "..."}]
    Column("answers", JSON, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

bot_schedules = Table(
    "bot_schedules",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("next_at", UTC_TS, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_bot_schedules_next_at", "next_at"),
    Index("ix_bot_schedules_room_id", "room_id"),
)

interests = Table(
    "interests",
    metadata,
    Column("id", String(24), primary_key=True),
    #: The canonical (normalized) name; also one of its aliases.
    Column("name", String(40), nullable=False, unique=True),
    Column("category", String(16), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

interest_aliases = Table(
    "interest_aliases",
    metadata,
    #: A normalized tag (domain.rooms.normalize_tag) that names the interest.
    Column("alias", String(40), primary_key=True),
    Column(
        "interest_id",
        String(24),
        ForeignKey("interests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("language", String(35)),
    Index("ix_interest_aliases_interest_id", "interest_id"),
)

room_embeddings = Table(
    "room_embeddings",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    #: The embedder's model id: a different one means the vector must be recomputed.
    Column("model_id", String(64), nullable=False),
    #: SHA-256 of the text embedded: unchanged text is not embedded again.
    Column("text_hash", String(64), nullable=False),
    #: float32 little-endian, L2-normalized.
    Column("vector", LargeBinary, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

room_activity = Table(
    "room_activity",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    #: Hours since the Unix epoch.
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("member_id", String(24), primary_key=True),
    #: ``post`` (wrote in that hour) or ``join`` (joined in that hour).
    Column("kind", String(8), primary_key=True),
    Index("ix_room_activity_bucket", "bucket"),
)

partners = Table(
    "partners",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    #: SHA-256 of the partner's API key; the key itself is shown once.
    Column("key_hash", String(64), nullable=False, unique=True),
    #: Origins allowed to frame the embed widget (CSP frame-ancestors).
    Column("allowed_origins", JSON, nullable=False),
    #: The account that hosts the rooms this partner's content creates.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

content_works = Table(
    "content_works",
    metadata,
    Column("id", String(24), primary_key=True),
    #: ``isbn:…``, ``work:…`` or ``url:…``, normalized: one work, one room.
    Column("canonical", String(400), nullable=False, unique=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("language", String(35)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_content_works_room_id", "room_id"),
)

content_links = Table(
    "content_links",
    metadata,
    Column(
        "partner_id", String(24), ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    ),
    #: The partner's own id for the content.
    Column("content_id", String(200), primary_key=True),
    Column(
        "work_id", String(24), ForeignKey("content_works.id", ondelete="CASCADE"), nullable=False
    ),
    Column("title", String(200), nullable=False),
    Column("language", String(35)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_content_links_work_id", "work_id"),
)

room_grams = Table(
    "room_grams",
    metadata,
    #: One entry of domain.search.short_grams: two adjacent characters of a run of a
    #: script without spaces, or a run's last character.
    Column("gram", String(2), primary_key=True),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_room_grams_room_id", "room_id"),
)


message_translations = Table(
    "message_translations",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("lang", String(12), primary_key=True),
    #: The message's rev this translates: an edit makes it stale (and it is deleted).
    Column("rev", BigInteger, nullable=False),
    Column("source_lang", String(12), nullable=False),
    Column("body", Text, nullable=False),
    Column("engine", String(32), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

room_glossary = Table(
    "room_glossary",
    metadata,
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("term", String(100), nullable=False),
    #: Target language -> fixed rendering; absent languages keep the term as it is.
    Column("translations", JSON, nullable=False),
)

#: Avatars and covers the instance serves itself (domain/images.py). No owner is kept:
#: an image says nothing about who set it, or where.
images = Table(
    "images",
    metadata,
    #: HMAC-SHA-256 of ``data`` keyed with the instance's image key, in hex.
    Column("id", String(64), primary_key=True),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    #: Only link previews ever stored it: the collector may delete it once no preview
    #: and no message shows it. Stored for anything else, it is kept for good.
    Column("previews_only", Boolean, nullable=False, server_default=text("false")),
    #: When it was last stored (the collector leaves recent ones alone).
    Column("touched_at", UTC_TS),
)

#: Link previews by URL (``domain.previews.cache_key``), shared by every room: what the
#: page said, or that it gave none (``ok`` false), until ``expires_at``. Nothing here
#: says who posted the link, or where.
link_previews = Table(
    "link_previews",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("ok", Boolean, nullable=False),
    Column("title", Text),
    Column("description", Text),
    Column("site_name", Text),
    Column("image", String(128)),
    Column("fetched_at", UTC_TS, nullable=False),
    Column("expires_at", UTC_TS, nullable=False),
    #: When a message last got this card (the collector deletes entries long unused).
    Column("used_at", UTC_TS),
    Index("ix_link_previews_image", "image"),
)

#: robots.txt of the sites previews were fetched from, by origin.
link_robots = Table(
    "link_robots",
    metadata,
    Column("origin", String(300), primary_key=True),
    Column("rules", Text, nullable=False),
    Column("expires_at", UTC_TS, nullable=False),
)

#: Secrets the instance makes for itself, once, shared by every node (the image id key's
#: source). An operator's ``OPENLINK_SECRET_KEY`` takes the place of the row.
instance_secrets = Table(
    "instance_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

#: Media bytes, content-addressed (domain/media.py ``blob_key``): one row per distinct
#: blob, so that the collector can find the ones nothing refers to any more.
media_blobs = Table(
    "media_blobs",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("size", BigInteger, nullable=False),
    #: Last put or reuse: a blob unreferenced since longer than the grace period goes.
    Column("touched_at", UTC_TS, nullable=False),
    #: Set by the collector while it deletes the bytes; an upload waits for the row to go.
    Column("deleting", Boolean, nullable=False, server_default=text("false")),
)

#: Uploads. ``uploader_id`` is for quotas and for who may attach it; every view a room
#: reads names ``member_id`` only.
media = Table(
    "media",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("state", String(8), nullable=False),
    #: NULL for an upload made for a clip posted to an interest (no room).
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE")),
    Column("member_id", String(24)),
    Column("uploader_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("mime", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("duration_ms", Integer),
    Column("blurhash", String(120)),
    Column("waveform", JSON),
    #: The message it is attached to, in ``room_id``; NULL until then.
    Column("seq", BigInteger),
    Column("created_at", UTC_TS, nullable=False),
    Column("attached_at", UTC_TS),
    #: The SHA-256 of the bytes as uploaded, and a picture's perceptual hash: what an
    #: operator's ban matches. Never shown to a room.
    Column("sha256", String(64)),
    Column("phash", String(16)),
    Index("ix_media_uploader_id", "uploader_id"),
    Index("ix_media_sha256", "sha256"),
    Index("ix_media_room_id", "room_id", "seq"),
    # The collector's scan: uploads never attached, oldest first.
    Index(
        "ix_media_unattached",
        "created_at",
        sqlite_where=text("seq IS NULL"),
        postgresql_where=text("seq IS NULL"),
    ),
)

#: Operators' bans of media: each ban is the hashes of one upload's bytes and variants
#: (``kind`` ``sha256``) and, for a picture, its perceptual hash (``phash``).
media_bans = Table(
    "media_bans",
    metadata,
    Column("ban_id", String(24), primary_key=True),
    Column("hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("reason", String(500), nullable=False),
    #: The upload it was made from (removed since), and its room (for the audit log;
    #: NULL for a clip's video uploaded to no room).
    Column("media_id", String(24), nullable=False),
    Column("room_id", String(24)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_media_bans_hash", "hash"),
)

media_variants = Table(
    "media_variants",
    metadata,
    Column("media_id", String(24), ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(16), primary_key=True),
    Column("blob_key", String(80), ForeignKey("media_blobs.key"), nullable=False),
    Column("mime", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("duration_ms", Integer),
    Index("ix_media_variants_blob_key", "blob_key"),
)

#: Short videos posted to an interest (``interest_id``) or a room (``room_id``,
#: ``member_id``). ``user_id`` is the poster's account, for limits and ownership only;
#: the profile shown is copied in ``nickname``/``avatar_url`` (domain/clips.py).
clips = Table(
    "clips",
    metadata,
    Column("id", String(24), primary_key=True),
    Column(
        "media_id",
        String(24),
        ForeignKey("media.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("room_id", String(24), ForeignKey("rooms.id", ondelete="CASCADE")),
    Column("member_id", String(24)),
    Column("interest_id", String(24), ForeignKey("interests.id", ondelete="CASCADE")),
    Column("nickname", String(40), nullable=False),
    Column("avatar_url", String(2048)),
    Column("profile_kind", String(8), nullable=False),
    Column("caption", Text, nullable=False),
    Column("lang", String(16)),
    Column("likes", Integer, nullable=False, server_default=text("0")),
    Column("comments", Integer, nullable=False, server_default=text("0")),
    Column("views", Integer, nullable=False, server_default=text("0")),
    Column("hidden", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_clips_created_at", "created_at", "id"),
    Index("ix_clips_interest", "interest_id", "created_at", "id"),
    Index("ix_clips_room", "room_id", "created_at", "id"),
    Index("ix_clips_user_id", "user_id", "created_at"),
)

#: One row per account and clip liked: the count is kept on the clip; who liked what is
#: never shown to anyone but the liker.
clip_likes = Table(
    "clip_likes",
    metadata,
    Column("clip_id", String(24), ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTC_TS, nullable=False),
)

#: One row per account and clip watched: a view counts once per viewer.
clip_views = Table(
    "clip_views",
    metadata,
    Column("clip_id", String(24), ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

#: The thread of an interest clip; each comment carries the profile it was written under.
clip_comments = Table(
    "clip_comments",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("clip_id", String(24), ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(40), nullable=False),
    Column("avatar_url", String(2048)),
    Column("profile_kind", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("lang", String(16)),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_clip_comments_clip", "clip_id", "created_at", "id"),
)

#: Reports of clips, for the operator (and the room's moderators for room clips).
clip_reports = Table(
    "clip_reports",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("clip_id", String(24), ForeignKey("clips.id", ondelete="CASCADE"), nullable=False),
    Column("reporter_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    UniqueConstraint("clip_id", "reporter_id", name="uq_clip_reports_clip_reporter"),
)
