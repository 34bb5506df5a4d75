"""One typed Settings object, read once from the environment (prefix ``OPENLINK_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_MEMBER_CAP = 200_000
MIN_SECRET_KEY_CHARS = 32


def split_host(entry: str) -> tuple[str, int | None]:
    """An ``allowed_hosts`` entry as (lower-case name, port or None): ``name``,
    ``name:port``, a bare IPv6 address, or ``[IPv6]:port``."""
    name, port = entry.strip().lower(), ""
    if name.startswith("["):
        name, _, rest = name[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"allowed_hosts: {entry!r} is not a host with an optional port")
        port = rest[1:]
    elif name.count(":") == 1:
        name, _, port = name.partition(":")
    if not name or (port and not (port.isdigit() and 0 < int(port) < 65_536)):
        raise ValueError(f"allowed_hosts: {entry!r} is not a host with an optional port")
    return name, int(port) if port else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENLINK_", env_file=None, extra="ignore")

    data_dir: Path = Path("data")
    #: SQLAlchemy async URL. Empty means an SQLite file in ``data_dir``.
    database_url: str = ""
    #: SQLite durability: ``full`` acknowledges a commit once an fsync of the WAL covers it
    #: (durable across a power cut; commits share fsyncs); ``normal`` acknowledges at
    #: once and survives process crashes only.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    #: ``memory`` (one process) or ``redis`` (several nodes; needs ``redis_url``).
    broker: str = "memory"
    #: Redis for the broker and presence, e.g. ``redis://127.0.0.1:6379/0``.
    redis_url: str = ""
    #: Use Redis 7 sharded pub/sub (SPUBLISH/SSUBSCRIBE), for Redis Cluster.
    redis_sharded: bool = False
    #: Seconds between each node's check of its live rooms against the database, which
    #: recovers events a network broker lost. 0 turns it off (the memory broker loses
    #: nothing, so it needs none); the account recheck (``account_recheck_interval_s``)
    #: runs regardless.
    catchup_interval_s: float = Field(2.0, ge=0)
    #: With the Redis broker, presence is shared through Redis: a node's entries live
    #: this long unless refreshed, so a dead node's sockets stop counting within it.
    presence_ttl_s: float = Field(30.0, ge=3)

    host: str = "127.0.0.1"
    port: int = 8000
    #: The server's public address (``https://chat.example.org``), for the absolute links
    #: in partner responses, widgets, oEmbed, link unfurling and QR codes. Empty: taken
    #: from each request (its scheme and Host header), if the Host is in ``allowed_hosts``.
    public_url: str = Field("", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")

    #: Default member cap for new group rooms, and the ceiling a host may raise it to.
    default_member_cap: int = Field(1_500, ge=2)
    max_member_cap: int = Field(1_500, ge=2, le=MAX_MEMBER_CAP)
    max_message_chars: int = Field(4_096, ge=1, le=65_536)
    max_open_profiles: int = Field(3, ge=0, le=20)
    token_ttl_days: float = Field(30.0, gt=0)
    #: Typing indicators are not relayed in rooms with more members than this.
    typing_max_members: int = Field(200, ge=2)

    #: Bytes a connection may have queued before it is dropped with the "resume" close code.
    ws_max_outbound_bytes: int = Field(1 << 20, ge=16 << 10)
    ws_ping_interval_s: float = Field(20.0, gt=0)
    #: Messages sent per page while a resuming client catches up from the database.
    resume_page_size: int = Field(500, ge=10, le=5_000)
    #: Seconds between online-count broadcasts for one room (coalesces join storms).
    presence_interval_s: float = Field(1.0, gt=0)

    #: Garbage-collector pacing (realtime/pacing.py): freeze survivors this often, and
    #: run a full collection this often.
    gc_freeze_interval_s: float = Field(1.0, gt=0)
    gc_full_interval_s: float = Field(600.0, gt=0)

    # -- governance (docs/hosting.md) ------------------------------------------------
    #: Co-hosts a host may appoint per room.
    max_cohosts: int = Field(10, ge=0, le=100)
    #: Members one message may mention.
    max_mentions: int = Field(20, ge=0, le=200)
    #: Flood limits: at most N messages in any window of W seconds, per member and per
    #: room (0 turns a limit off). Newcomers on probation get their own, lower member limit.
    flood_member_messages: int = Field(20, ge=0)
    flood_member_window_s: int = Field(10, ge=1)
    flood_probation_messages: int = Field(5, ge=0)
    flood_room_messages: int = Field(300, ge=0)
    flood_room_window_s: int = Field(10, ge=1)
    #: Probation for new rooms' newcomers: seconds after joining without links or media
    #: and with the lower flood limit. Hosts change it per room.
    default_probation_s: int = Field(600, ge=0, le=30 * 86_400)
    #: Where shared rate-limit counters live: ``memory://`` (one process) or a Redis URL
    #: (``redis://host:6379/0``) so that limits hold across several server processes.
    limits_url: str = "memory://"
    #: Sign-in throttling: failed attempts allowed per client address (for any accounts)
    #: in ``login_window_s`` before sign-in from it is refused with 429. The per-account
    #: limit is ``login_addresses_per_account``.
    login_failures_per_address: int = Field(100, ge=1)
    login_window_s: int = Field(900, ge=1)
    #: Sign-ups accepted per client address in ``signup_window_s`` (0 turns the limit off).
    signups_per_address: int = Field(20, ge=0)
    signup_window_s: int = Field(3_600, ge=1)
    #: Browser origins allowed to call the API cross-origin (CORS). Empty: none.
    cors_origins: list[str] = Field(default_factory=list)
    #: Automod: rules per room, keywords per keyword rule, expressions per regex rule.
    automod_max_rules: int = Field(10, ge=1, le=50)
    automod_max_keywords: int = Field(1_000, ge=1, le=10_000)
    automod_max_regexes: int = Field(10, ge=1, le=100)
    #: How often the host bot looks for scheduled notices that are due.
    bot_tick_s: float = Field(5.0, gt=0)

    # -- search (docs/discovery.md) --------------------------------------------------
    #: Embedder for semantic room search: ``use`` (multilingual USE v3, bundled) or
    #: ``none`` (keyword search only).
    embedder: str = "use"
    #: Cosine similarity a room needs to count as a semantic match.
    search_min_similarity: float = Field(0.3, ge=-1.0, le=1.0)
    #: Seconds between catch-ups of this process's vectors from the database (rooms
    #: embedded by other processes).
    search_sync_interval_s: float = Field(5.0, gt=0)

    # -- translation (docs/translation.md) -------------------------------------------
    #: Engine: ``none`` (default: originals only, and the API says so), ``fxtranslate``
    #: (Firefox Translations models in ``models_dir``), ``ctranslate2`` (converted
    #: Opus-MT/M2M100/NLLB models in ``models_dir``) or ``openai`` (an OpenAI-compatible
    #: chat completions endpoint).
    translator: str = "none"
    #: Where ``openlink models`` installs model files. Empty: ``<data_dir>/models``.
    models_dir: Path | None = None
    #: Translations in flight per language pair before more are shed (dropped; the
    #: original stands).
    translate_queue_max: int = Field(64, ge=1, le=10_000)
    #: Threads for engines that wait on the network (``openai``).
    translate_threads: int = Field(4, ge=1, le=256)
    #: How much lower than the server's the CPU priority of translation worker processes
    #: is (Unix nice increment): under load, chat keeps the CPU.
    translate_worker_nice: int = Field(10, ge=0, le=19)
    #: Translations for a room wait up to this long to leave in one write with others.
    translate_linger_s: float = Field(0.05, ge=0, le=1)
    #: Seconds an on-demand translation request waits for the engine.
    translate_timeout_s: float = Field(30.0, gt=0)
    #: ``openai``: the endpoint's base URL (``http://127.0.0.1:8080/v1``), model and key.
    openai_url: str = ""
    openai_model: str = ""
    openai_api_key: str = ""
    openai_timeout_s: float = Field(60.0, gt=0)
    #: ``openai``: the languages to offer (the model is asked to translate between any two).
    openai_languages: list[str] = Field(
        default_factory=lambda: ["en", "ko", "ja", "zh", "es", "pt", "fr", "de"]
    )
    #: ``ctranslate2``: threads per translation inside each worker process.
    ctranslate2_threads: int = Field(1, ge=1, le=64)

    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65_536, ge=64)

    log_level: str = "info"
    #: ``text`` for people, ``json`` (one object per line) for log collectors.
    log_format: Literal["text", "json"] = "text"
    #: On SIGTERM, seconds to keep serving while readiness says 503 (so the load
    #: balancer moves new clients elsewhere) before closing sockets and stopping.
    drain_s: float = Field(5.0, ge=0, le=600)

    # -- abuse limits (issue 12; docs/operations.md, decision 0013) -------------------
    #: Wrong participation codes allowed per room in ``code_window_s``: per account, per
    #: client address, and from everyone together (then the room's code is locked for
    #: every newcomer until the oldest failure leaves the window or the host changes the
    #: code). 0 turns a limit off.
    code_failures_per_account: int = Field(5, ge=0)
    code_failures_per_address: int = Field(20, ge=0)
    code_failures_per_room: int = Field(50, ge=0)
    code_window_s: int = Field(900, ge=1)
    #: Failed sign-ins from one client address for one account in ``login_window_s``
    #: before that pair is refused with 429 (0 turns it off).
    login_failures_per_pair: int = Field(10, ge=0)
    #: Per-account limits on writes a member can repeat: at most N in any window of W
    #: seconds (0 turns a limit off). Joins count every attempt to enter a room as a
    #: newcomer, so join/leave cycles are bounded too.
    joins_per_account: int = Field(30, ge=0)
    joins_window_s: int = Field(600, ge=1)
    reactions_per_account: int = Field(120, ge=0)
    reactions_window_s: int = Field(60, ge=1)
    rooms_per_account: int = Field(10, ge=0)
    rooms_window_s: int = Field(3_600, ge=1)
    reads_per_account: int = Field(120, ge=0)
    reads_window_s: int = Field(60, ge=1)
    reports_per_account: int = Field(10, ge=0)
    reports_window_s: int = Field(600, ge=1)
    #: Searches per signed-in account, and per client address for searches without one.
    searches_per_account: int = Field(60, ge=0)
    searches_per_address: int = Field(120, ge=0)
    searches_window_s: int = Field(60, ge=1)
    #: On-demand translation requests (``GET .../translation``), stored answer or not.
    translations_per_account: int = Field(60, ge=0)
    translations_window_s: int = Field(60, ge=1)
    # -- Redis timeouts, sessions and public links (issue 12, points 13 and 14) --------
    #: Seconds to wait for Redis to accept a connection, and for one command to answer
    #: (rate limiter, broker publishes, presence). A Redis that hangs counts as down after
    #: that: limits fail open, a lost publish is recovered by the catch-up.
    redis_connect_timeout_s: float = Field(1.0, gt=0, le=60)
    redis_socket_timeout_s: float = Field(0.5, gt=0, le=60)
    #: After a Redis call failed, the rate limiter, the broker's publishes and presence
    #: skip Redis for this long, so that writes are not held up by a timeout each.
    redis_retry_after_s: float = Field(2.0, ge=0, le=600)
    #: With ``public_url`` empty, absolute links are built from the request's Host only
    #: when it is one of these; other Hosts get 400. An entry without a port allows the
    #: name with no port or the server's own (``port``, or the socket's); one with a
    #: port (``chat.example.org:8443``, ``[::1]:8443``) allows that port only.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1", "::1"])
    #: Wrong current passwords accepted per session (token) in ``password_window_s``
    #: before that session's password changes are refused with 429.
    password_change_failures: int = Field(5, ge=1)
    password_window_s: int = Field(900, ge=1)
    # -- moderation bypasses (issue 12: edits, automod authority, nicknames) ---------
    #: Edits one message may take; each edit is also screened and counted like a send,
    #: and this bounds how often one message is translated again.
    max_edits_per_message: int = Field(10, ge=1, le=1_000)
    # -- images: avatars and covers the instance serves itself (docs/operations.md) ---
    #: Largest picture accepted, fetched or uploaded, in bytes.
    image_max_bytes: int = Field(5 << 20, ge=1 << 10, le=64 << 20)
    #: Most pixels (width x height) a picture may have; checked before it is decoded.
    image_max_pixels: int = Field(25_000_000, ge=1, le=80_000_000)
    #: Stored pictures are scaled down to at most this many pixels a side.
    image_max_side: int = Field(1_024, ge=16, le=4_096)
    #: One deadline for fetching a picture named by URL, redirects included.
    image_fetch_timeout_s: float = Field(10.0, gt=0, le=120)
    image_fetch_max_redirects: int = Field(3, ge=0, le=10)
    #: Networks (CIDR) pictures may be fetched from although they are not public, e.g.
    #: ``["10.1.2.0/24"]`` for an intranet image host. Empty: public addresses only.
    image_fetch_allow_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    #: Pictures one account may set from a URL or upload per window (0: no limit).
    images_per_account: int = Field(30, ge=0)
    images_window_s: int = Field(3_600, ge=1)
    # -- link previews: a card under a message with a URL (docs/operations.md) ---------
    #: Fetch previews at all. Off: no page is ever fetched for a message.
    link_previews: bool = True
    #: Most bytes of a page read; past this the page is cut (its head is what counts).
    link_preview_max_bytes: int = Field(512 << 10, ge=16 << 10, le=8 << 20)
    #: One deadline for each request of a preview (robots.txt, page, oEmbed, picture).
    link_preview_timeout_s: float = Field(5.0, gt=0, le=60)
    link_preview_max_redirects: int = Field(3, ge=0, le=10)
    #: How long a fetched preview is reused for the same URL.
    link_preview_ttl_s: int = Field(86_400, ge=60, le=30 * 86_400)
    #: How long a URL that gave no preview (down, refused, not a page) is not tried again.
    link_preview_failure_ttl_s: int = Field(900, ge=10, le=86_400)
    #: How long a site's robots.txt is kept.
    link_preview_robots_ttl_s: int = Field(86_400, ge=60, le=7 * 86_400)
    #: A cached preview no message got for this long is deleted, and with it its
    #: picture once no message shows that either (the media collector, every
    #: ``media_gc_interval_s``).
    link_preview_keep_s: int = Field(7 * 86_400, ge=3_600)
    #: Page fetches (cache misses) one account's messages may cause per window, and the
    #: whole server's (0: no limit). The network allow-list is ``image_fetch_allow_networks``.
    link_previews_per_account: int = Field(30, ge=0)
    link_previews_global: int = Field(600, ge=0)
    link_previews_window_s: int = Field(3_600, ge=1)
    # -- media messages: processing (docs/operations.md, decision 0026) ---------------
    #: Largest file accepted, of any kind, in bytes; an upload is refused while it is read.
    media_max_bytes: int = Field(100 << 20, ge=1 << 10, le=4 << 30)
    #: Most pixels (width x height) a photo may have; checked from the header, before
    #: any pixel is decoded. Pillow's own bomb guard, kept as a backstop, stops at 89.5 M.
    media_image_max_pixels: int = Field(50_000_000, ge=1, le=89_000_000)
    #: The served photo ("full") is scaled down to at most this many pixels a side.
    media_image_max_side: int = Field(4_096, ge=256, le=16_383)
    #: Frames an animated GIF, WebP or PNG may have.
    media_animation_max_frames: int = Field(300, ge=1, le=5_000)
    #: Longest video accepted, in seconds (checked in the header and while decoding).
    media_video_max_duration_s: float = Field(600.0, gt=0, le=6 * 3_600)
    #: Largest video resolution accepted: at most this many pixels on the longer side.
    media_video_max_side: int = Field(4_096, ge=144, le=8_192)
    #: Videos are transcoded to H.264/AAC MP4 with at most this many lines on the shorter
    #: side (720: "720p", also for portrait videos).
    media_transcode_height: int = Field(720, ge=144, le=2_160)
    #: Keep the uploaded video file beside the transcoded one (served as a download).
    media_keep_video_original: bool = False
    #: Longest voice message, in seconds.
    media_voice_max_duration_s: float = Field(600.0, gt=0, le=3_600)
    #: Worker processes that process media. 0: half the cores, at least one.
    media_workers: int = Field(0, ge=0, le=64)
    #: How much lower than the server's the CPU priority of media workers is (nice).
    media_worker_nice: int = Field(10, ge=0, le=19)
    #: Run media workers under Linux's SCHED_IDLE policy: they use only CPU time nothing
    #: else wants, and chat preempts them at once (a nice level still takes its share).
    media_worker_idle: bool = True
    #: Seconds one file may take to process; past it the worker is killed and replaced.
    media_job_timeout_s: float = Field(300.0, gt=0, le=3_600)
    #: Files waiting for a worker before more are refused with 503 ``media_busy``.
    media_queue_max: int = Field(32, ge=1, le=10_000)
    #: Threads FFmpeg's encoder uses inside a worker (0: FFmpeg chooses, about 1.5 a core).
    media_ffmpeg_threads: int = Field(2, ge=0, le=64)
    #: How long a photo's upload waits for its processing before it answers ``pending``
    #: (the outcome then comes as a ``media.ready`` or ``media.failed`` event). Videos and
    #: voice messages never wait: they answer ``pending`` at once.
    media_inline_wait_s: float = Field(2.0, ge=0, le=60)
    #: Photos larger than this answer ``pending`` at once, like videos.
    media_inline_image_bytes: int = Field(8 << 20, ge=0)
    #: Start the media workers when the server starts (otherwise the first upload that
    #: needs one starts it, and waits a second or two for the codecs to load).
    media_prestart_workers: bool = True
    # -- first run: visitors and the demo (issue 13, section 5) ------------------------
    #: Discovery reads (trending, recommendations, room previews) per client address in
    #: ``browse_window_s``, for visitors without an account (0 turns the limit off).
    #: Searches have their own limit (``searches_per_address``).
    browse_per_address: int = Field(300, ge=0)
    browse_window_s: int = Field(60, ge=1)
    #: Seed the demo accounts and rooms at start (as ``openlink serve --demo``), and say
    #: on ``GET /api/instance`` that they exist.
    demo: bool = False

    # -- sign-in, sessions and join approvals (review of issue 12) ---------------------
    #: Client addresses (IPv6: /64 prefixes) whose sign-ins to one account may fail in
    #: ``login_window_s``; past it, sign-ins from new addresses are refused with 429
    #: unless they carry a known device. Each address counts once, however many times it
    #: fails (``login_failures_per_pair`` bounds that), so one address cannot run it up.
    login_addresses_per_account: int = Field(20, ge=1)
    #: Password changes per account in ``password_window_s``, right current password or
    #: wrong (each costs argon2); 0 turns the limit off.
    password_changes_per_account: int = Field(20, ge=0)
    #: Seconds an approved join request stays an invitation the applicant can take up
    #: (``POST /api/rooms/{id}/join-request/accept``); after that they ask again.
    join_approval_ttl_s: int = Field(7 * 86_400, ge=60)

    # -- review of issue 12: instance secret (decision 0017), account recheck (0014) ---
    #: The instance's secret, from which keys for values outsiders must not compute are
    #: derived (image ids). Empty: a random secret made at first use and kept in the
    #: database, so every node shares it. Set it (or ``secret_key_file``, a file holding
    #: it) to keep it out of the database; it must then be the same on every node.
    secret_key: SecretStr = Field(SecretStr(""))
    secret_key_file: Path | None = None
    #: With a network broker, seconds between each node's check of its connected
    #: accounts' revisions against the database, which applies sign-outs, suspensions
    #: and removals whose events the broker lost. Never off, unlike the room catch-up.
    account_recheck_interval_s: float = Field(2.0, gt=0, le=3_600)

    # -- media in chat: storage, limits, collection (docs/operations.md#media) -------
    #: Where media bytes are kept: ``local`` (files under ``media_dir``) or ``s3``
    #: (S3-compatible object storage, for several nodes without a shared filesystem).
    media_storage: Literal["local", "s3"] = "local"
    #: ``local``: the folder. Empty: ``<data_dir>/media``.
    media_dir: Path | None = None
    #: ``s3``: the bucket, the endpoint (empty: AWS for the region; ``http://host:9000``
    #: for MinIO), the region, the keys (empty: the ``AWS_*`` environment), a key prefix,
    #: and whether the endpoint wants ``bucket.host`` rather than ``host/bucket`` paths.
    media_s3_bucket: str = ""
    media_s3_endpoint: str = Field("", pattern=r"^(https?://[^\s/?#]+)?$")
    media_s3_region: str = "us-east-1"
    media_s3_access_key_id: str = ""
    media_s3_secret_access_key: SecretStr = Field(SecretStr(""))
    media_s3_prefix: str = Field("", max_length=200, pattern=r"^([A-Za-z0-9_.-]+/)*$")
    media_s3_virtual_hosted: bool = False
    #: ``s3``: answer a media read of a picture, video or voice variant with a redirect to
    #: a presigned URL valid ``media_url_ttl_s`` seconds, instead of streaming it through
    #: the server. Files are always streamed (their headers cannot be set on S3).
    media_s3_redirect: bool = False
    media_url_ttl_s: int = Field(300, ge=10, le=7 * 86_400)
    #: Bytes of media one account may keep, and one room may hold (0: no quota).
    media_account_quota_bytes: int = Field(2 << 30, ge=0)
    media_room_quota_bytes: int = Field(20 << 30, ge=0)
    #: Uploads per account in ``media_uploads_window_s`` (0: no limit).
    media_uploads_per_account: int = Field(60, ge=0)
    media_uploads_window_s: int = Field(3_600, ge=1)
    #: An upload never attached to a message is collected after this many seconds.
    media_orphan_ttl_s: int = Field(86_400, ge=60)
    #: How often the collector looks for orphan uploads and unused blobs, and how long a
    #: blob nothing refers to is kept: longer than storing the largest upload takes (an
    #: upload that reuses a blob may be under way).
    media_gc_interval_s: float = Field(600.0, gt=0)
    media_blob_grace_s: int = Field(3_600, ge=300)
    #: ``Cache-Control: private, max-age=…`` of media reads (their bytes never change).
    media_cache_max_age_s: int = Field(30 * 86_400, ge=0)

    # -- clips (short videos; docs/operations.md#clips) ---------------------------------
    #: The longest video a clip may be.
    clip_max_duration_s: float = Field(60.0, gt=0, le=600)
    #: Per account in their window (0: no limit): new clips, likes and unlikes,
    #: comments, views counted.
    clip_posts_per_account: int = Field(20, ge=0)
    clip_posts_window_s: int = Field(86_400, ge=1)
    clip_likes_per_account: int = Field(300, ge=0)
    clip_likes_window_s: int = Field(3_600, ge=1)
    clip_comments_per_account: int = Field(60, ge=0)
    clip_comments_window_s: int = Field(3_600, ge=1)
    clip_views_per_account: int = Field(1_000, ge=0)
    clip_views_window_s: int = Field(3_600, ge=1)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_parse(cls, hosts: list[str]) -> list[str]:
        for entry in hosts:
            split_host(entry)
        return hosts

    # -- one Redis shared by several instances (issue 13: CI) ----------------------
    #: Put before every Redis key and pub/sub channel name (broker, presence, rate
    #: limits), so that several instances, or parallel test runs, can share one Redis:
    #: pub/sub channels are not separated by Redis's database number.
    redis_prefix: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")

    @model_validator(mode="after")
    def _default_cap_within_ceiling(self) -> Settings:
        if self.default_member_cap > self.max_member_cap:
            raise ValueError("default_member_cap must not exceed max_member_cap")
        return self

    def configured_secret_key(self) -> str | None:
        """The secret the operator set (directly or in a file), or None to use the
        database's. Refuses one too short to be a secret."""
        key = self.secret_key.get_secret_value()
        if self.secret_key_file is not None:
            key = self.secret_key_file.read_text("utf-8").strip()
        if not key:
            return None
        if len(key) < MIN_SECRET_KEY_CHARS:
            raise ValueError(
                f"OPENLINK_SECRET_KEY must be at least {MIN_SECRET_KEY_CHARS} characters"
            )
        return key

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'openlink.db').resolve()}"

    def effective_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    def effective_models_dir(self) -> Path:
        return (self.models_dir or self.data_dir / "models").resolve()

    def prepare(self) -> None:
        """Create the data folder the embedded database lives in."""
        if self.is_sqlite:
            self.data_dir.mkdir(parents=True, exist_ok=True)

    def allows_host(self, name: str, port: int | None, socket_port: int | None) -> bool:
        """Whether links may be built for a request's Host (``name``, ``port``): the name
        is listed, and so is the port. A name listed without a port allows no port (the
        default one, behind a proxy) and the server's own (``port``, the socket's); a
        listed port allows only itself."""
        own = {self.port, socket_port}
        for entry in self.allowed_hosts:
            allowed_name, allowed_port = split_host(entry)
            if allowed_name == name.lower() and (
                port == allowed_port or (allowed_port is None and port in own)
            ):
                return True
        return False

    def public_base(self, request_base: str) -> str:
        """The absolute base of public links: ``public_url``, else the request's base."""
        return (self.public_url or request_base).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url().startswith("sqlite")
