"""Request bodies. Responses are the domain views (``domain/events.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from openlink.domain.media import MAX_ATTACHMENTS
from openlink.domain.messages import MAX_SEQ
from openlink.domain.rooms import ProfilePolicy, RoomKind, TagCategory, Visibility
from openlink.domain.text import ID_PATTERN

Str = Annotated[str, Field(max_length=4_000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUp(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=512)
    display_name: str = Field(max_length=200)
    language: str = Field("en", max_length=35)
    interests: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=100
    )


class SignIn(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=512)
    #: The ``device`` of an earlier sign-in to this account, from this browser or app.
    device: str | None = Field(None, max_length=200)


class PasswordChange(Body):
    current_password: str = Field(max_length=512)
    new_password: str = Field(max_length=512)


class ProfileUpdate(Body):
    display_name: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=35)
    interests: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=100)


class OpenProfileIn(Body):
    nickname: str = Field(max_length=200)
    avatar_url: str | None = Field(None, max_length=4096)


class OpenProfilePatch(Body):
    nickname: str | None = Field(None, max_length=200)
    avatar_url: str | None = Field(None, max_length=4096)


class TagIn(Body):
    name: str = Field(max_length=80)
    category: TagCategory


class ProfileChoice(Body):
    """How to appear in a room: ``main`` (display name), or ``open`` with a nickname or a
    saved open profile's id."""

    kind: Literal["open", "main"] = "main"
    nickname: str | None = Field(None, max_length=200)
    avatar_url: str | None = Field(None, max_length=4096)
    open_profile_id: str | None = Field(None, pattern=ID_PATTERN)


class RoomRules(Body):
    """Flow control and entry conditions a host sets (docs/hosting.md)."""

    #: 0 (off) or 10 s to 6 h between one member's messages.
    slow_mode_s: int | None = Field(None, ge=0, le=86_400)
    #: Seconds after joining without links and with a lower flood limit (0 = off).
    probation_s: int | None = Field(None, ge=0, le=10_000_000)
    join_approval: bool | None = None
    min_account_age_days: int | None = Field(None, ge=0, le=100_000)
    verified_only: bool | None = None
    #: The room's main language (BCP 47); new rooms take the host's reading language.
    language: str | None = Field(None, max_length=35)
    #: Whether people who have not joined may read recent messages (public rooms).
    preview_enabled: bool | None = None
    #: Automatic translation of this room's messages (on by default).
    translation_enabled: bool | None = None
    #: Cards under messages with links (on by default).
    link_previews: bool | None = None


class RoomCreate(RoomRules):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=10_000)
    kind: Literal["group", "direct_link"] = "group"
    visibility: Visibility = Visibility.PUBLIC
    profile_policy: ProfilePolicy = ProfilePolicy.OPEN_ALLOWED
    tags: list[TagIn] = Field(default_factory=list, max_length=50)
    cover_url: str | None = Field(None, max_length=4096)
    member_cap: int | None = Field(None, ge=1, le=10_000_000)
    code: str | None = Field(None, max_length=64)
    profile: ProfileChoice = Field(default_factory=ProfileChoice)

    def room_kind(self) -> RoomKind:
        return RoomKind(self.kind)


class RoomPatch(RoomRules):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    visibility: Visibility | None = None
    profile_policy: ProfilePolicy | None = None
    tags: list[TagIn] | None = Field(None, max_length=50)
    cover_url: str | None = Field(None, max_length=4096)
    member_cap: int | None = Field(None, ge=1, le=10_000_000)
    #: A new participation code; "" removes it.
    code: str | None = Field(None, max_length=64)


class LinkOptions(Body):
    """A link's expiry and use limit; null removes either."""

    expires_at: AwareDatetime | None = None
    max_uses: int | None = Field(None, ge=1, le=1_000_000)


class JoinIn(Body):
    profile: ProfileChoice = Field(default_factory=ProfileChoice)
    code: str | None = Field(None, max_length=64)


class HostTransfer(Body):
    member_id: str = Field(pattern=ID_PATTERN)


class MessageIn(Body):
    client_id: str = Field(max_length=64)
    body: str = Field(max_length=262_144)
    reply_to: int | None = Field(None, ge=1, le=MAX_SEQ)
    mentions: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list, max_length=200
    )
    #: Uploads to attach (``POST /api/media``), in order; then ``body`` may be empty.
    media: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS
    )


class MessageEdit(Body):
    body: str = Field(max_length=262_144)
    #: The message's attachments after the edit; absent: unchanged.
    media: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(
        None, max_length=MAX_ATTACHMENTS
    )


class ReadMarker(Body):
    seq: int = Field(ge=0)
