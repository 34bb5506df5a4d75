"""Pure types and rules of OpenLink: rooms, roles, permissions, messages. No I/O here."""
