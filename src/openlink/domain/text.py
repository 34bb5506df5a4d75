"""Rules every piece of user text obeys, whatever field it is in."""

from __future__ import annotations

import re

from openlink.errors import InvalidInput

# C0 controls other than tab, newline and carriage return, DEL, and C1 controls. NUL in
# particular is not storable in PostgreSQL text and has no business in chat.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Room, member and profile ids: what ``domain.ids`` makes, with room to grow.
ID_PATTERN = r"^[a-z0-9]{1,24}$"


def check_no_controls(raw: str, what: str) -> str:
    if _CONTROL.search(raw):
        raise InvalidInput(f"The {what} contains control characters.", code="invalid_text")
    return raw


def one_line(raw: str, what: str) -> str:
    """A single line: control characters refused, white space runs folded to one space."""
    return " ".join(check_no_controls(raw, what).split())
