"""One typed Settings object, read once from the environment (prefix ``OPENLINK_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_MEMBER_CAP = 200_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENLINK_", env_file=None, extra="ignore")

    data_dir: Path = Path("data")
    #: SQLAlchemy async URL. Empty means an SQLite file in ``data_dir``.
    database_url: str = ""
    #: SQLite durability: ``full`` syncs every commit to disk (acknowledged = durable, also
    #: across a power cut); ``normal`` survives process crashes only.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    broker: str = "memory"

    host: str = "127.0.0.1"
    port: int = 8000

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

    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65_536, ge=64)

    log_level: str = "info"

    @model_validator(mode="after")
    def _default_cap_within_ceiling(self) -> Settings:
        if self.default_member_cap > self.max_member_cap:
            raise ValueError("default_member_cap must not exceed max_member_cap")
        return self

    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'openlink.db').resolve()}"

    def prepare(self) -> None:
        """Create the data folder the embedded database lives in."""
        if self.is_sqlite:
            self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url().startswith("sqlite")
