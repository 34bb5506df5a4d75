"""Partners and the works their content names: canonical work ids, origins, keys.

A partner names a piece of its content by its own id and says which *work* it is: an
ISBN, a work id, or a URL. Every spelling of one work folds to one canonical string
(``isbn:978…``, ``work:…``, ``url:…``), and one canonical string has one room, so readers
of two services that carry the same work meet in the same room.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from stdnum import isbn
from stdnum.exceptions import ValidationError
from w3lib.url import canonicalize_url

from openlink.domain.events import iso
from openlink.domain.text import one_line
from openlink.errors import InvalidInput

MAX_NAME = 80
MAX_TITLE = 200
MAX_ORIGINS = 20
MAX_CANONICAL = 400
KEY_PREFIX = "olp_"

_CONTENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")
_WORK_ID = re.compile(r"[a-z0-9][a-z0-9._:-]{0,199}")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Query parameters that say where a click came from, not what it leads to.
_TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid"}
    | {"mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "spm"}
)


@dataclass(slots=True)
class Partner:
    id: str
    name: str
    allowed_origins: list[str]
    user_id: int
    active: bool
    created_at: datetime
    #: The username of the account that hosts the partner's rooms.
    username: str = ""


def partner_view(p: Partner) -> dict[str, Any]:
    """What the operator sees; never the key (only its hash is stored)."""
    return {
        "id": p.id,
        "name": p.name,
        "allowed_origins": p.allowed_origins,
        "active": p.active,
        "account": p.username,
        "created_at": iso(p.created_at),
    }


def check_partner_name(raw: str) -> str:
    name = one_line(raw, "partner name")
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(
            f"A partner name is 1 to {MAX_NAME} characters.", code="invalid_partner_name"
        )
    return name


def account_slug(name: str) -> str:
    """The ``<slug>`` of the hosting account's username ``partner_<slug>`` (may be empty)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:24]


def check_origin(raw: str) -> str:
    """``https://host[:port]`` (or ``http://localhost…`` for development), normalized."""
    bad = InvalidInput(
        f"{raw[:100]!r} is not an origin: https://host[:port] with no path "
        "(http only for localhost).",
        code="invalid_origin",
    )
    if len(raw) > 300:
        raise bad
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        raise bad from None
    host = (parts.hostname or "").lower()
    if parts.netloc.startswith("[") and host:
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    local = host in _LOCAL_HOSTS
    if (
        scheme not in ("https", "http")
        or (scheme == "http" and not local)
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or not (local or _HOST.fullmatch(host))
    ):
        raise bad
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def check_origins(raw: list[str]) -> list[str]:
    origins = list(dict.fromkeys(check_origin(o) for o in raw))
    if len(origins) > MAX_ORIGINS:
        raise InvalidInput(f"At most {MAX_ORIGINS} origins.", code="invalid_origin")
    return origins


def check_content_id(raw: str) -> str:
    if not _CONTENT_ID.fullmatch(raw):
        raise InvalidInput(
            "A content id is 1 to 200 characters of A-Z a-z 0-9 . _ : -",
            code="invalid_content_id",
        )
    return raw


def check_title(raw: str) -> str:
    title = one_line(raw, "title")
    if not 1 <= len(title) <= MAX_TITLE:
        raise InvalidInput(f"A title is 1 to {MAX_TITLE} characters.", code="invalid_title")
    return title


def room_name_for(title: str, limit: int) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


# -- canonical works ------------------------------------------------------------------


def canonical_work(work: dict[str, Any]) -> str:
    """The one string that names a work, whichever way a partner spelled it."""
    given = {k: v for k, v in work.items() if v is not None}
    if len(given) != 1 or not given.keys() <= {"isbn", "work_id", "url"}:
        raise InvalidInput(
            "Name the work with exactly one of isbn, work_id or url.", code="invalid_work"
        )
    kind, value = next(iter(given.items()))
    if not isinstance(value, str):
        raise InvalidInput(f"work.{kind} is a string.", code="invalid_work")
    if kind == "isbn":
        return "isbn:" + canonical_isbn(value)
    if kind == "work_id":
        return "work:" + canonical_work_id(value)
    return "url:" + canonical_url(value)


def canonical_isbn(raw: str) -> str:
    """ISBN-10 or ISBN-13, hyphens and spaces allowed, checksum checked: the ISBN-13."""
    try:
        number = isbn.to_isbn13(isbn.validate(raw))
    except ValidationError:
        number = ""
    if not re.fullmatch(r"97[89][0-9]{10}", number):
        raise InvalidInput(
            "Not a valid ISBN-10 or ISBN-13 (check the digits and the check digit).",
            code="invalid_isbn",
        )
    return number


def canonical_work_id(raw: str) -> str:
    work_id = raw.strip().lower()
    if not _WORK_ID.fullmatch(work_id):
        raise InvalidInput(
            "A work id is 1 to 200 characters of a-z 0-9 . _ : - (case does not matter).",
            code="invalid_work_id",
        )
    return work_id


def canonical_url(raw: str) -> str:
    """One spelling per URL: w3lib's canonical form (percent-encoding normalized, IDN
    hosts in punycode, dot segments resolved, query parameters sorted, fragment dropped),
    then the default port, tracking parameters and a trailing slash dropped."""
    bad = InvalidInput("The work's URL must be an absolute http(s) URL.", code="invalid_url")
    raw = raw.strip()
    if len(raw) > MAX_CANONICAL or any(c.isspace() or ord(c) < 32 for c in raw):
        raise bad
    try:
        parts = urlsplit(canonicalize_url(raw))
        port = parts.port  # ValueError when out of range
    except ValueError:
        raise bad from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        raise bad
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    query = "&".join(p for p in parts.query.split("&") if p and not _tracking(p))
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > MAX_CANONICAL - 4:
        raise bad
    return url


def _tracking(param: str) -> bool:
    key = unquote_plus(param.partition("=")[0]).lower()
    return key.startswith("utm_") or key in _TRACKING


def frame_ancestors(origins: list[str]) -> str:
    """The CSP ``frame-ancestors`` source list: the given origins, or ``'none'``."""
    return " ".join(sorted(set(origins))) or "'none'"
