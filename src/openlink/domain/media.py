"""Media in chat: an upload (a photo, video, voice message or file) and its variants.

An upload belongs to the account that made it, for quotas, but what a room sees of it
names only the member who posted it (:func:`media_view`): never the account. Its bytes
are content-addressed blobs (:func:`blob_key`), shared by every upload of the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from openlink.errors import Forbidden, InvalidInput, RangeNotSatisfiable

#: Where media is served: ``/api/media/{id}/{variant}``.
MEDIA_PATH = "/api/media/"
MEDIA_ID_PATTERN = r"^[a-z0-9]{1,24}$"
VARIANT_PATTERN = r"^[a-z0-9_]{1,16}$"
#: The variant every upload has: the bytes as uploaded (or as kept, after processing).
ORIGINAL = "original"
#: Attachments one message may carry.
MAX_ATTACHMENTS = 10
#: Bytes served for a file whatever it is: a download, never rendered.
DOWNLOAD_TYPE = "application/octet-stream"
#: Signed URLs (:func:`sign_views`) expire at the end of an hour: every reader within the
#: same hour gets the same URL (one browser cache entry, nothing in it about who asked),
#: valid between ``(URL_HOURS_AHEAD - 1)`` and ``URL_HOURS_AHEAD`` hours.
URL_BUCKET_S = 3_600
URL_HOURS_AHEAD = 3
SIGNATURE_PATTERN = r"^[A-Za-z0-9_-]{22}$"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


class MediaKind(StrEnum):
    FILE = "file"
    IMAGE = "image"
    VIDEO = "video"
    VOICE = "voice"


class MediaState(StrEnum):
    #: Uploaded; its variants are being made.
    PENDING = "pending"
    READY = "ready"
    #: Processing refused or failed; nothing of it is served.
    FAILED = "failed"


@dataclass(slots=True)
class Variant:
    name: str
    blob_key: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


@dataclass(slots=True)
class MediaItem:
    id: str
    kind: MediaKind
    state: MediaState
    #: None for an upload made without a room (a clip's video for an interest).
    room_id: str | None
    #: The uploader's membership in ``room_id``: what the room may know.
    member_id: str | None
    #: The uploader's account: for quotas and access, never shown to the room.
    uploader_id: int
    #: The file's name as the uploader gave it, cleaned (:func:`clean_filename`).
    name: str
    mime: str
    size: int
    created_at: datetime
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    blurhash: str | None = None
    waveform: list[int] | None = None
    #: The message it is attached to (its seq in ``room_id``); None until attached.
    seq: int | None = None
    variants: dict[str, Variant] = field(default_factory=dict)
    #: The SHA-256 of the bytes as uploaded, and a picture's perceptual hash (16 hex
    #: digits): what bans match. Never in a view.
    sha256: str | None = None
    phash: str | None = None

    @property
    def attached(self) -> bool:
        return self.seq is not None


#: Perceptual hashes this close (differing bits of 64) are taken for the same picture: a
#: recompressed, resized or lightly edited copy stays within it, another picture does not
#: (decision 0026). What a ban on a picture matches.
PHASH_SAME_PICTURE = 8


def phash_distance(a: str, b: str) -> int:
    """Differing bits between two perceptual hashes (16 hex digits each), as
    ``imagehash`` counts them."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def sha256_of_key(key: str) -> str:
    """The SHA-256 a blob key was made from (:func:`blob_key`)."""
    return key.rsplit("/", 1)[-1]


def blob_key(sha256_hex: str) -> str:
    """Where the blob with this SHA-256 is kept: the same bytes, the same key."""
    if not _SHA256.match(sha256_hex):
        raise ValueError("not a SHA-256 in hex")
    return f"sha256/{sha256_hex[:2]}/{sha256_hex}"


def media_url(media_id: str, variant: str = ORIGINAL) -> str:
    return f"{MEDIA_PATH}{media_id}/{variant}"


def clean_filename(raw: str | None) -> str:
    """A name to show and to offer as the download's name: no folders, no control or
    quoting characters, at most 200 characters; ``file`` when nothing is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 16 else name[:200]
    return name or "file"


def check_media_ids(raw: list[str]) -> list[str]:
    """A message's attachments: distinct ids, in the order given, at most
    :data:`MAX_ATTACHMENTS`."""
    ids = list(dict.fromkeys(raw))
    if len(ids) > MAX_ATTACHMENTS:
        raise InvalidInput(
            f"A message carries at most {MAX_ATTACHMENTS} attachments.",
            code="too_many_attachments",
            max_attachments=MAX_ATTACHMENTS,
        )
    return ids


def variant_view(media_id: str, v: Variant) -> dict[str, Any]:
    view: dict[str, Any] = {"url": media_url(media_id, v.name), "mime": v.mime, "size": v.size}
    for name in ("width", "height", "duration_ms"):
        value = getattr(v, name)
        if value is not None:
            view[name] = value
    return view


def media_view(item: MediaItem) -> dict[str, Any]:
    """What a room, and the uploader, see of an upload: the member who posted it, never
    the account."""
    view: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind.value,
        "state": item.state.value,
        "room": item.room_id,
        "member": item.member_id,
        "name": item.name,
        "mime": item.mime,
        "size": item.size,
    }
    for name in ("width", "height", "duration_ms", "blurhash", "waveform"):
        value = getattr(item, name)
        if value is not None:
            view[name] = value
    if item.state is MediaState.READY:
        view["variants"] = {
            name: variant_view(item.id, v) for name, v in sorted(item.variants.items())
        }
    return view


#: The variants a room's public preview shows those outside the room: small pictures
#: (a photo's thumbnails, a video's poster), never the file, the video or the voice.
PREVIEW_VARIANTS = frozenset({"small", "medium", "poster"})
_PREVIEW_FIELDS = ("id", "kind", "state", "size", "width", "height", "duration_ms", "blurhash")


def preview_media_view(view: dict[str, Any]) -> dict[str, Any]:
    """What a room's public preview shows of an attachment to a visitor: its kind and
    shape, its duration, and its small pictures (signed on the way out like any view);
    not its name, its uploader's member id or anything that plays or downloads."""
    out = {k: view[k] for k in _PREVIEW_FIELDS if k in view}
    variants = view.get("variants")
    if isinstance(variants, dict):
        out["variants"] = {n: v for n, v in variants.items() if n in PREVIEW_VARIANTS}
    return out


def url_expiry(now_s: float) -> int:
    """When URLs signed at ``now_s`` (Unix seconds) expire: the same for a whole hour."""
    return (int(now_s) // URL_BUCKET_S + URL_HOURS_AHEAD) * URL_BUCKET_S


def url_signature(key: bytes, media_id: str, variant: str, expiry: int) -> str:
    """128 bits of HMAC-SHA-256 over the variant and the expiry, and nothing else: not
    the reader, not their account."""
    mac = hmac.new(key, f"{media_id}|{variant}|{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def signed_url(key: bytes, media_id: str, variant: str, expiry: int) -> str:
    sig = url_signature(key, media_id, variant, expiry)
    return f"{media_url(media_id, variant)}?e={expiry}&s={sig}"


def check_signature(
    key: bytes, media_id: str, variant: str, expiry: int, sig: str, now_s: float
) -> None:
    """Refuse a signature that does not match (``media_url_invalid``) or has expired
    (``media_url_expired``: the client fetches the view again for a fresh URL)."""
    expected = url_signature(key, media_id, variant, expiry)
    if not hmac.compare_digest(expected, sig):
        raise Forbidden("This media link is not valid.", code="media_url_invalid")
    if now_s >= expiry:
        raise Forbidden(
            "This media link has expired; reload to get a new one.", code="media_url_expired"
        )


def sign_views(obj: Any, key: bytes, expiry: int) -> Any:
    """A copy of ``obj`` (any JSON value: a Media view, a message, an event, a page of
    them) whose Media views' variant URLs are signed. Views are stored unsigned (a
    message keeps a snapshot of its attachments); they are signed on their way out."""
    if isinstance(obj, list):
        return [sign_views(x, key, expiry) for x in obj]
    if not isinstance(obj, dict):
        return obj
    variants = obj.get("variants")
    media_id = obj.get("id")
    if isinstance(variants, dict) and isinstance(media_id, str):
        signed = dict(obj)
        signed["variants"] = {
            name: {**v, "url": signed_url(key, media_id, name, expiry)}
            if isinstance(v, dict)
            else v
            for name, v in variants.items()
        }
        return signed
    return {k: sign_views(v, key, expiry) for k, v in obj.items()}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``[start, end)`` a ``Range`` header asks of ``size`` bytes, or None
    for the whole (no header, a unit other than bytes, several ranges, or a malformed
    one: RFC 9110 lets a server ignore those). A range that starts at or past the end is
    refused (416)."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if size == 0:
        _unsatisfiable(size)
    if first == "":
        if last == "" or int(last) == 0:
            return None if last == "" else _unsatisfiable(size)
        return max(size - int(last), 0), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> tuple[int, int]:
    raise RangeNotSatisfiable(f"The range starts past the end ({size} bytes).", size=size)
