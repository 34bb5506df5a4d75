"""Client-to-server frames on the WebSocket, validated at the edge (docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from openlink.domain.media import MAX_ATTACHMENTS
from openlink.domain.messages import MAX_SEQ
from openlink.domain.text import ID_PATTERN


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(_Op):
    op: Literal["hello"]
    token: str = Field(max_length=200)
    #: Resume points: room id -> the highest rev the client has applied.
    since: dict[str, Annotated[int, Field(ge=0, le=MAX_SEQ)]] = Field(
        default_factory=dict, max_length=10_000
    )


class Send(_Op):
    op: Literal["send"]
    room: str = Field(pattern=ID_PATTERN)
    client_id: str = Field(max_length=64)
    body: str = Field(max_length=262_144)
    reply_to: int | None = Field(default=None, ge=1, le=MAX_SEQ)
    mentions: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list, max_length=200
    )
    #: Uploads to attach (``POST /api/media``), in order.
    media: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS
    )


class Typing(_Op):
    op: Literal["typing"]
    room: str = Field(pattern=ID_PATTERN)


class Read(_Op):
    op: Literal["read"]
    room: str = Field(pattern=ID_PATTERN)
    seq: int = Field(ge=0, le=MAX_SEQ)


class Ping(_Op):
    op: Literal["ping"]
    ref: str | None = Field(default=None, max_length=64)


ClientOp = Annotated[Send | Typing | Read | Ping, Field(discriminator="op")]
client_op = TypeAdapter(ClientOp)
hello_op = TypeAdapter(Hello)
