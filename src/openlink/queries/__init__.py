"""Use cases that read: access checks, room lists with unread counts, history pages."""
